export const RUN_STATUSES = [
  'queued',
  'running',
  'retry_scheduled',
  'repairing',
  'waiting',
  'action_needed',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

export const RUN_TRIGGERS = ['manual', 'api', 'cron', 'webhook', 'retry'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** Event types appended to a run's timeline, in the order a person reads them. */
export type RunEventType =
  | 'run.queued'
  | 'run.running'
  | 'run.succeeded'
  | 'run.failed'
  | 'run.cancelled'
  | 'run.retry_scheduled'
  | 'run.repairing'
  | 'run.action_needed'
  | 'run.waiting'
  | 'run.resumed'
  | 'attempt.abandoned'
  | 'repair.proposed'
  | 'repair.validated'
  | 'repair.deployed'
  | 'repair.rejected'
  | 'inbox.resolved';

export const INBOX_KINDS = [
  'auth_required',
  'policy_violation',
  'retries_exhausted',
  'repair_failed',
  'repair_approval',
  'unknown_failure',
  'approval',
] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

export const INBOX_ACTIONS = ['retry', 'approve', 'reject', 'cancel'] as const;
export type InboxAction = (typeof INBOX_ACTIONS)[number];

/** An error as stored on a run or attempt, and as shown to users. */
export interface RunError {
  name: string;
  message: string;
  /** Where in the user's script it happened, when known ("script.js:3:11"). */
  location?: string;
  stack?: string;
  /** Host-assigned code for failures the host detected (`HOST_NOT_ALLOWED`, `TIMEOUT`, …). */
  code?: string;
  /** Why the sandbox ended the attempt, when a limit did (`timeout`, `memory`, …). */
  limit?: string;
}
