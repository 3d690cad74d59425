/** What an action-needed item is about, and what a person may do with it. */
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

/** open → resolved (a person acted) or expired (an approval request ran out of time). */
export const INBOX_STATUSES = ['open', 'resolved', 'expired'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];
