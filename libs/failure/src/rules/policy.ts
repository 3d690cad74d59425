/**
 * Policy: the script did something its manifest or the server does not allow. Fail closed and escalate;
 * a repair may never widen permissions or budgets, so only a person can decide.
 *
 * Which limits are policy: fetches, host calls, log bytes and result bytes are budgets on what a script
 * does to the outside world and to stored data, so going over them is policy even when a runaway loop
 * is the cause. CPU time and memory are logic (they are the script's own computation, which a repair can
 * fix without touching a limit), and wall time depends on where the time went (limits.ts). The classes
 * are documented in docs/lifecycle.md.
 */
import { EVENT_POLICY_CODES } from '@mendflow/contracts';
import type { LimitKind } from '@mendflow/sandbox';
import { describeScriptError, truncate } from '../describe';
import type { EmitRefusalFact, FetchFact, RecordingFacts, SecretFact } from '../recording-facts';
import { hostInText } from '../recording-facts';
import type { Rule, RuleContext, Verdict } from './rule';
import { fetchEvidence, limitOf, secretNameInText } from './rule';

type FetchRefusal = 'HOST_NOT_ALLOWED' | 'PRIVATE_ADDRESS' | 'FETCH_LIMIT';
const FETCH_REFUSALS: ReadonlySet<string> = new Set<FetchRefusal>([
  'HOST_NOT_ALLOWED',
  'PRIVATE_ADDRESS',
  'FETCH_LIMIT',
]);
type BudgetLimit = Extract<LimitKind, 'fetches' | 'host_calls' | 'log' | 'result'>;
const BUDGET_LIMITS: ReadonlySet<LimitKind> = new Set<BudgetLimit>([
  'fetches',
  'host_calls',
  'log',
  'result',
]);

export const policyRule: Rule = (context) => {
  const { error, facts } = context;
  const code = error.code;
  // 1. The error is the violation itself.
  if (code === 'HOST_NOT_ALLOWED' || code === 'PRIVATE_ADDRESS') {
    return refusedFetch(context, code, lastRefusal(facts, code), false);
  }
  if (code === 'SECRET_NOT_DECLARED') return undeclaredSecret(context, lastDenied(facts), false);
  if (code === 'APPROVAL_CAP_EXCEEDED') return approvalCap(context, lastRefusal(facts, code), false);
  if (code && EVENT_CODES.has(code)) return refusedEmit(context, facts.emitRefusals.at(-1), false);
  const limit = code === 'FETCH_LIMIT' ? 'fetches' : limitOf(error);
  if (limit && BUDGET_LIMITS.has(limit)) return budget(context, limit as BudgetLimit);

  // 2. The script caught a refusal and failed later. Still policy: otherwise a script could launder a
  // forbidden call into a retry or a repair by catching it and throwing something else.
  const refusal = [...facts.fetches].reverse().find((f) => f.errorCode && FETCH_REFUSALS.has(f.errorCode));
  if (refusal) return refusedFetch(context, refusal.errorCode as FetchRefusal, refusal, true);
  const denied = lastDenied(facts);
  if (denied) return undeclaredSecret(context, denied, true);
  const beyondCaps = lastRefusal(facts, 'APPROVAL_CAP_EXCEEDED');
  if (beyondCaps) return approvalCap(context, beyondCaps, true);
  const refusedEvent = facts.emitRefusals.at(-1);
  if (refusedEvent) return refusedEmit(context, refusedEvent, true);
  return undefined;
};

const EVENT_CODES: ReadonlySet<string> = new Set(EVENT_POLICY_CODES);

/**
 * ctx.emit refused: the event chain is too deep or would loop. A retry would be refused the same way
 * and a repair must not break a chain a person designed: a person decides (docs/events.md).
 */
function refusedEmit(context: RuleContext, emit: EmitRefusalFact | undefined, caught: boolean): Verdict {
  const code = emit?.code ?? context.error.code ?? 'EVENT_CYCLE';
  const message = emit?.message ?? context.error.message;
  return {
    class: 'policy',
    rule: code === 'EVENT_CHAIN_TOO_DEEP' ? 'policy.event_chain_too_deep' : 'policy.event_cycle',
    reason: `${truncate(message, 300)}${caughtSuffix(context, caught)}`,
    evidence: { code, ...(emit ? { event: emit.name } : {}), caught },
  };
}

/**
 * A fetch beyond what a person approved (ctx.waitForApproval's caps). A repair must not lift a cap a
 * person set, and a retry would breach it again: a person decides.
 */
function approvalCap(context: RuleContext, fetch: FetchFact | undefined, caught: boolean): Verdict {
  const detail = fetch?.errorMessage ?? context.error.message;
  return {
    class: 'policy',
    rule: 'policy.approval_cap',
    reason: `the script fetched beyond what its approval allows (${truncate(detail, 200)})${caughtSuffix(context, caught)}`,
    evidence: {
      code: 'APPROVAL_CAP_EXCEEDED',
      ...(fetch ? { host: fetch.host, fetch: fetchEvidence(fetch) } : {}),
      caught,
    },
  };
}

function lastRefusal(facts: RecordingFacts, code: string): FetchFact | undefined {
  return [...facts.fetches].reverse().find((f) => f.errorCode === code);
}

function lastDenied(facts: RecordingFacts): SecretFact | undefined {
  return [...facts.secrets].reverse().find((s) => s.denied !== undefined);
}

/** "…; the script caught the refusal and then failed (TypeError at script.js:5:3)". */
function caughtSuffix({ error }: RuleContext, caught: boolean): string {
  return caught ? `; the script caught the refusal and then failed (${describeScriptError(error)})` : '';
}

function refusedFetch(
  context: RuleContext,
  code: FetchRefusal,
  fetch: FetchFact | undefined,
  caught: boolean,
): Verdict {
  if (code === 'FETCH_LIMIT') return budget(context, 'fetches', caught);
  const host = fetch?.host ?? hostInText(context.error.message) ?? 'a host';
  const base =
    code === 'HOST_NOT_ALLOWED'
      ? `fetch to ${host} is not allowed by the manifest's permissions.hosts`
      : `fetch to ${host} was refused because it resolves to a private or loopback address, which this server does not allow (ALLOW_PRIVATE_NETWORK)`;
  return {
    class: 'policy',
    rule: code === 'HOST_NOT_ALLOWED' ? 'policy.host_not_allowed' : 'policy.private_address',
    reason: base + caughtSuffix(context, caught),
    evidence: { code, host, ...(fetch ? { fetch: fetchEvidence(fetch) } : {}), caught },
  };
}

function undeclaredSecret(context: RuleContext, secret: SecretFact | undefined, caught: boolean): Verdict {
  const name = secret?.name ?? secretNameInText(context.error.message);
  const subject = name ? `secret ${name}` : 'a secret';
  return {
    class: 'policy',
    rule: 'policy.secret_not_declared',
    reason: `the script asked for ${subject}, which the manifest's permissions.secrets does not declare${caughtSuffix(context, caught)}`,
    evidence: { code: 'SECRET_NOT_DECLARED', ...(name ? { secret: name } : {}), caught },
  };
}

function budget(context: RuleContext, limit: BudgetLimit, caught = false): Verdict {
  const { facts } = context;
  const fetches = facts.fetches.filter((f) => !f.errorCode || !FETCH_REFUSALS.has(f.errorCode)).length;
  const reasons: Record<BudgetLimit, string> = {
    fetches: `the script tried more fetches than the manifest's limits.maxFetches allows (${fetches} made)`,
    host_calls: `the script made more host calls than the server allows (${facts.hostCalls} recorded); a loop calling ctx without end is the usual cause`,
    log: "the script wrote more log output than the manifest's limits.maxLogBytes allows",
    result: "the script returned a result larger than the manifest's limits.maxResultBytes allows",
  };
  return {
    class: 'policy',
    rule: `policy.budget.${limit}`,
    reason: reasons[limit] + caughtSuffix(context, caught),
    evidence: { limit, fetches, hostCalls: facts.hostCalls, caught },
  };
}
