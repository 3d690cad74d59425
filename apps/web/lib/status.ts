import type { FailureClass, InboxAction, InboxKind, RunStatus } from './api';

/** How each run status looks; the words carry the meaning, color only reinforces it. */
export const RUN_STATUS_META: Record<RunStatus, { label: string; color: string; description: string }> = {
  queued: { label: 'Queued', color: 'gray', description: 'Waiting for a worker' },
  running: { label: 'Running', color: 'blue', description: 'An attempt is executing' },
  retry_scheduled: {
    label: 'Retry scheduled',
    color: 'yellow',
    description: 'A transient failure; retrying after a delay',
  },
  repairing: { label: 'Repairing', color: 'grape', description: 'A repair is being proposed and validated' },
  waiting: { label: 'Waiting', color: 'cyan', description: 'Waiting for a person to approve' },
  action_needed: {
    label: 'Action needed',
    color: 'orange',
    description: 'Paused until a person resolves it',
  },
  succeeded: { label: 'Succeeded', color: 'teal', description: 'Finished successfully' },
  failed: { label: 'Failed', color: 'red', description: 'Nothing more will be tried' },
  cancelled: { label: 'Cancelled', color: 'dark', description: 'Stopped on request' },
};

export function runStatusMeta(status: string) {
  return (
    RUN_STATUS_META[status as RunStatus] ?? {
      label: status.replace(/_/g, ' '),
      color: 'gray',
      description: '',
    }
  );
}

export const TERMINAL_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled'];
export const ACTIVE_STATUSES: readonly string[] = [
  'queued',
  'running',
  'retry_scheduled',
  'repairing',
  'waiting',
];

export const FAILURE_CLASS_META: Record<FailureClass, { label: string; color: string; description: string }> =
  {
    transient: {
      label: 'Transient',
      color: 'yellow',
      description: 'Network or service hiccup: retried with backoff',
    },
    logic: {
      label: 'Logic',
      color: 'grape',
      description: 'A bug in the script: repaired when a provider is configured',
    },
    auth: {
      label: 'Auth',
      color: 'orange',
      description: 'Credentials missing or rejected: a person must fix them',
    },
    policy: {
      label: 'Policy',
      color: 'red',
      description: 'Outside the manifest’s permissions or budgets: fails closed',
    },
    unknown: {
      label: 'Unknown',
      color: 'gray',
      description: 'Could not be classified: escalated to a person',
    },
  };

export function failureClassMeta(value: string) {
  return FAILURE_CLASS_META[value as FailureClass] ?? { label: value, color: 'gray', description: '' };
}

export const INBOX_KIND_META: Record<string, { label: string; color: string }> = {
  auth_required: { label: 'Auth required', color: 'orange' },
  policy_violation: { label: 'Policy violation', color: 'red' },
  retries_exhausted: { label: 'Retries exhausted', color: 'yellow' },
  repair_failed: { label: 'Repair failed', color: 'grape' },
  repair_approval: { label: 'Repair to approve', color: 'indigo' },
  unknown_failure: { label: 'Unknown failure', color: 'gray' },
  approval: { label: 'Approval', color: 'cyan' },
};

export function inboxKindMeta(kind: InboxKind) {
  return INBOX_KIND_META[kind] ?? { label: kind.replace(/_/g, ' '), color: 'gray' };
}

export const INBOX_ACTION_META: Record<
  InboxAction,
  { label: string; color: string; variant: 'filled' | 'light' | 'default' }
> = {
  approve: { label: 'Approve', color: 'teal', variant: 'filled' },
  retry: { label: 'Retry', color: 'indigo', variant: 'filled' },
  reject: { label: 'Reject', color: 'red', variant: 'light' },
  cancel: { label: 'Cancel run', color: 'gray', variant: 'default' },
};

/** The run status an event type moves the run to, when it is a transition. */
export const STATUS_OF_EVENT: Record<string, RunStatus> = {
  'run.queued': 'queued',
  'run.running': 'running',
  'run.succeeded': 'succeeded',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
  'run.retry_scheduled': 'retry_scheduled',
  'run.repairing': 'repairing',
  'run.action_needed': 'action_needed',
  'run.waiting': 'waiting',
};
