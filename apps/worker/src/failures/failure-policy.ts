import type { InboxAction, Manifest } from '@mendflow/common';
import type { InboxDraft } from '@mendflow/db';
import { type Classification, retryDelayMs } from '@mendflow/failure';

export type NextStep =
  { kind: 'retry'; delayMs: number } | { kind: 'repair' } | { kind: 'escalate'; inbox: InboxDraft };

export interface PolicyInput {
  classification: Classification;
  /** The attempt that just failed (1-based). */
  attempt: number;
  manifest: Manifest;
  /** Whether a repair may be requested now (provider configured, enabled, within budget), and why not. */
  repair: { allowed: true } | { allowed: false; reason: string };
  random?: () => number;
}

const RESUMABLE: InboxAction[] = ['retry', 'cancel'];

/**
 * What Mendflow does after a failed attempt, from its classification (docs/lifecycle.md, failure
 * classes): transient → retry with backoff until the policy runs out, then escalate; logic → repair
 * when allowed, else escalate; auth, policy and unknown → escalate at once. Escalating never fails
 * the run silently: it pauses it as action_needed with an inbox item a person resolves.
 */
export function decideNextStep(input: PolicyInput): NextStep {
  const { classification, attempt, manifest } = input;
  const evidence = {
    classification: classification.class,
    reason: classification.reason,
    ...classification.evidence,
  };
  switch (classification.class) {
    case 'transient': {
      if (attempt < manifest.retry.maxAttempts) {
        return { kind: 'retry', delayMs: retryDelayMs(manifest.retry.backoff, attempt, input.random) };
      }
      return escalate(
        'retries_exhausted',
        `Retries exhausted after ${attempt} attempt${attempt === 1 ? '' : 's'}`,
        classification.reason,
        evidence,
      );
    }
    case 'logic':
      if (input.repair.allowed) return { kind: 'repair' };
      return escalate(
        'repair_failed',
        'Script error needs a fix',
        `${classification.reason}; not repaired: ${input.repair.reason}`,
        evidence,
      );
    case 'auth':
      return escalate('auth_required', 'Credentials needed', classification.reason, evidence);
    case 'policy':
      return escalate('policy_violation', 'Blocked by the manifest', classification.reason, evidence);
    default:
      return escalate('unknown_failure', 'Failure needs a look', classification.reason, evidence);
  }
}

function escalate(
  kind: InboxDraft['kind'],
  title: string,
  reason: string,
  evidence: Record<string, unknown>,
): NextStep {
  return { kind: 'escalate', inbox: { kind, title, reason, evidence, actions: RESUMABLE } };
}
