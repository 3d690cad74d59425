import type { FailureClass, InboxAction, InboxKind, RunStatus, RunWaitingFor } from '@mendflow/contracts';

// Presentation only: labels, colors and descriptions keyed by the shared contracts' types, so a new
// status, class, kind or action fails the typecheck here until it has its words. Which statuses are
// terminal, cancellable… and which status an event leaves a run in come from '@mendflow/contracts'.

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
  waiting: {
    label: 'Waiting',
    color: 'cyan',
    description: 'Waiting for an approval or a time; no worker is held',
  },
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

export const INBOX_KIND_META: Record<InboxKind, { label: string; color: string }> = {
  auth_required: { label: 'Auth required', color: 'orange' },
  policy_violation: { label: 'Policy violation', color: 'red' },
  retries_exhausted: { label: 'Retries exhausted', color: 'yellow' },
  repair_failed: { label: 'Repair failed', color: 'grape' },
  repair_approval: { label: 'Repair to approve', color: 'indigo' },
  unknown_failure: { label: 'Unknown failure', color: 'gray' },
  approval: { label: 'Approval', color: 'cyan' },
};

export function inboxKindMeta(kind: string) {
  return INBOX_KIND_META[kind as InboxKind] ?? { label: kind.replace(/_/g, ' '), color: 'gray' };
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

export const WAITING_FOR_META: Record<RunWaitingFor['kind'], { label: string; color: string }> = {
  slot: { label: 'Waiting for a slot', color: 'gray' },
  approval: { label: 'Waiting for approval', color: 'cyan' },
  sleep: { label: 'Sleeping', color: 'cyan' },
};
