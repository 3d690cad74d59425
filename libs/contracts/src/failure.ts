/** The classes a failed attempt is sorted into; each decides what happens next (see docs/lifecycle.md). */
export const FAILURE_CLASSES = ['transient', 'logic', 'auth', 'policy', 'unknown'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];
