/**
 * What the classifier says about a failed attempt. These are plain JSON-safe data: the worker stores a
 * Classification on the attempt and the API shows it as is.
 */
import type { AttemptCost, AttemptError, Recording } from '@mendflow/sandbox';

export type FailureClass = 'transient' | 'logic' | 'auth' | 'policy' | 'unknown';

/** What the worker does next: retry with backoff, ask the repair loop, or open an inbox item. */
export type FailureAction = 'retry' | 'repair' | 'escalate';

/** The inbox item a classification opens by itself (retries_exhausted etc. are the worker's to decide). */
export type ClassificationInboxKind = 'auth_required' | 'policy_violation' | 'unknown_failure';

export interface Classification {
  class: FailureClass;
  /** One sentence a person understands: "crm.example.com answered 503 three times". */
  reason: string;
  /** The data behind the reason; always has `rule` (which rule decided) and `error` (what was thrown). */
  evidence: Record<string, unknown>;
  action: FailureAction;
  inboxKind?: ClassificationInboxKind;
}

export interface ClassifierInput {
  error: AttemptError;
  recording: Recording;
  /** 1-based attempt number; copied into the evidence, it does not change the class. */
  attempt?: number;
  /**
   * What the attempt cost. Only used to tell a wall-time timeout spent waiting on I/O (transient) from
   * one spent computing (logic); without it the classifier judges from the recording alone.
   */
  cost?: Pick<AttemptCost, 'wallMs' | 'cpuMs'>;
}
