/**
 * classifyFailure: from what an attempt left behind to { class, reason, evidence, action }.
 *
 * Pure and deterministic: the same error and recording always give the same classification, so a
 * stored classification can be recomputed and explained, and no LLM or clock is ever consulted.
 *
 * Precedence, first match wins (each rule's file says why it decides as it does):
 *  0. cancelled        the attempt was cancelled on request → unknown, no inbox item (not a failure)
 *  1. policy           a permission refusal or budget (hosts, private address, undeclared secret, fetches,
 *                      host calls, log, result) — in the error or caught by the script and left in the
 *                      recording. Before everything else, so nothing can downgrade a violation.
 *  2. declared         ctx.errors.TransientError / AuthError / LogicError: the author's word beats the
 *                      heuristics below.
 *  3. limits           wall timeout (transient if waiting on I/O, logic if computing), CPU, memory → logic
 *  4. replay mismatch  the code diverged from the recording → logic
 *  5. network error    the thrown error is ECONNREFUSED, ETIMEDOUT, socket hang up … → transient
 *  6. missing secret   SECRET_MISSING, or a declared secret without a value in the recording → auth
 *  7. fetch outcome    the failed fetch that explains the error: 401/403 → auth, 408/425/429/5xx and
 *                      network codes → transient, 400/404/410/422 … → logic, others → unknown
 *  8. error shape      TypeError, ReferenceError, SyntaxError, RangeError, JSON of a 2xx, assertion → logic
 *  9. unknown          anything else → escalate
 */
import { actionFor, inboxKindFor } from './actions';
import { errorEvidence } from './describe';
import { readRecording } from './recording-facts';
import { cancelledRule } from './rules/cancelled';
import { declaredRule } from './rules/declared';
import { errorShapeRule } from './rules/error-shape';
import { unknownRule } from './rules/fallback';
import { fetchOutcomeRule } from './rules/fetch-outcome';
import { limitsRule } from './rules/limits';
import { networkErrorRule } from './rules/network';
import { policyRule } from './rules/policy';
import { replayRule } from './rules/replay';
import type { Rule, RuleContext, Verdict } from './rules/rule';
import { missingSecretRule } from './rules/secrets';
import type { Classification, ClassifierInput } from './types';

const RULES: readonly Rule[] = [
  cancelledRule,
  policyRule,
  declaredRule,
  limitsRule,
  replayRule,
  networkErrorRule,
  missingSecretRule,
  fetchOutcomeRule,
  errorShapeRule,
];

export function classifyFailure(input: ClassifierInput): Classification {
  const context: RuleContext = {
    error: input.error ?? { name: 'Error', message: '' },
    facts: readRecording(input.recording),
    cost: input.cost,
  };
  const verdict = decide(context);
  const inboxKind = verdict.noInbox ? undefined : inboxKindFor(verdict.class);
  return {
    class: verdict.class,
    reason: verdict.reason,
    evidence: {
      rule: verdict.rule,
      ...verdict.evidence,
      error: errorEvidence(context.error),
      ...(input.attempt !== undefined ? { attempt: input.attempt } : {}),
    },
    action: actionFor(verdict.class),
    ...(inboxKind ? { inboxKind } : {}),
  };
}

function decide(context: RuleContext): Verdict {
  for (const rule of RULES) {
    const verdict = rule(context);
    if (verdict) return verdict;
  }
  return unknownRule(context);
}
