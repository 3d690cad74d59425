import type { ClassificationInboxKind, FailureAction, FailureClass } from './types';

/**
 * The action follows from the class alone, so that "why was this retried?" always has the same answer
 * as "what class was it?". Auth, policy and unknown need a person: a retry would fail the same way and a
 * repair may neither invent credentials nor widen permissions.
 */
const ACTION: Record<FailureClass, FailureAction> = {
  transient: 'retry',
  logic: 'repair',
  auth: 'escalate',
  policy: 'escalate',
  unknown: 'escalate',
};

const INBOX_KIND: Partial<Record<FailureClass, ClassificationInboxKind>> = {
  auth: 'auth_required',
  policy: 'policy_violation',
  unknown: 'unknown_failure',
};

export function actionFor(failureClass: FailureClass): FailureAction {
  return ACTION[failureClass];
}

/** Transient and logic failures open no item here: the worker opens one when retries or repair give up. */
export function inboxKindFor(failureClass: FailureClass): ClassificationInboxKind | undefined {
  return INBOX_KIND[failureClass];
}
