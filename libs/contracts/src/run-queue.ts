/**
 * What a run that is not moving is waiting for, as the API reports it on a run (`waitingFor`) and the
 * dashboard shows it: a concurrency slot (queued behind others of the same automation and key), a
 * person's answer to an approval request, or the end of a durable sleep.
 */
export type RunWaitingFor =
  | {
      kind: 'slot';
      /** Runs of the same automation (and concurrency key) that will start before this one. */
      ahead: number;
      limit: number;
      /** The value of the manifest's concurrency key for this run, when the manifest has one. */
      key: string | null;
    }
  | { kind: 'approval'; inboxItemId: string; title: string; expiresAt: string }
  | { kind: 'sleep'; until: string };

/** Run priorities: a small range, higher runs first; runs without one get the default. */
export const RUN_PRIORITY = { min: 1, max: 10, default: 5 } as const;
