/**
 * Limits the sandbox enforced that are not policy budgets (those are in policy.ts): wall time, CPU time
 * and memory.
 *
 * CPU and memory are logic: a script that burns its CPU budget or its heap is looping or accumulating
 * without end, which is code a repair can fix. Wall time includes awaited I/O (docs/scripts.md), so a wall
 * timeout is transient when the time went to waiting on services and logic when it went to computing.
 */
import { seconds } from '../describe';
import type { FetchFact } from '../recording-facts';
import type { Rule, RuleContext, Verdict } from './rule';
import { fetchEvidence, limitOf } from './rule';

/**
 * Without the attempt's cost the classifier cannot know the wall time, so it calls the I/O slow when
 * fetches took this long in total: far beyond a healthy API call, and a fair share of even the default
 * 30 s timeout.
 */
export const SLOW_IO_MS = 5_000;

/** Below this share of CPU in the wall time, the attempt was mostly waiting, not computing. */
const COMPUTE_SHARE = 0.5;

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export const limitsRule: Rule = (context) => {
  switch (limitOf(context.error)) {
    case 'timeout':
      // The sandbox proves a deadlock (nothing pending can ever settle the awaited promise) at once; no
      // retry can help, the code must change.
      if (context.error.code === 'NEVER_SETTLED') {
        return {
          class: 'logic',
          rule: 'limit.never_settled',
          reason: 'the script awaits a promise that can never settle: nothing it waits for is pending',
          evidence: { limit: 'timeout', code: 'NEVER_SETTLED', ...costEvidence(context) },
        };
      }
      return wallTimeout(context);
    case 'cpu':
      return {
        class: 'logic',
        rule: 'limit.cpu',
        reason: 'the script used up its CPU time; an endless or very expensive loop is the usual cause',
        evidence: { limit: 'cpu', ...costEvidence(context) },
      };
    case 'memory':
      return {
        class: 'logic',
        rule: 'limit.memory',
        reason:
          "the script ran out of memory (the manifest's limits.memoryMb); an ever-growing array or object is the usual cause",
        evidence: { limit: 'memory', ...costEvidence(context) },
      };
    default:
      return undefined;
  }
};

function wallTimeout(context: RuleContext): Verdict {
  const { facts, cost } = context;
  // Strongest evidence first: a fetch still in flight, or one that itself timed out as the last thing
  // the script did, means the clock ran out while a service kept the script waiting.
  const pending = facts.fetches.filter((f) => f.pending).at(-1);
  if (pending)
    return waitingOn(
      context,
      pending,
      `while waiting for ${pending.host} to answer ${pending.method} ${pending.path}`,
    );
  const last = facts.fetches.at(-1);
  if (last?.errorCode && TIMEOUT_CODES.has(last.errorCode)) {
    return waitingOn(context, last, `after a fetch to ${last.host} timed out (${last.errorCode})`);
  }

  const ioMs = facts.fetches.reduce((sum, f) => sum + f.durationMs, 0);
  if (cost && cost.wallMs > 0) {
    const cpuShare = Math.max(0, cost.cpuMs) / cost.wallMs;
    const evidence = { limit: 'timeout', ioMs, ...costEvidence(context), cpuShare: round2(cpuShare) };
    if (cpuShare < COMPUTE_SHARE) {
      return {
        class: 'transient',
        rule: 'limit.timeout.io',
        reason: `the attempt ran out of wall time after ${seconds(cost.wallMs)}, of which only ${seconds(cost.cpuMs)} was computing: it was mostly waiting on I/O`,
        evidence,
      };
    }
    return {
      class: 'logic',
      rule: 'limit.timeout.compute',
      reason: `the attempt ran out of wall time computing (${seconds(cost.cpuMs)} of CPU in ${seconds(cost.wallMs)}); an endless or very expensive loop is the usual cause`,
      evidence,
    };
  }
  if (ioMs >= SLOW_IO_MS) {
    return {
      class: 'transient',
      rule: 'limit.timeout.io',
      reason: `the attempt ran out of wall time after its fetches took ${seconds(ioMs)} in all: the services were slow`,
      evidence: { limit: 'timeout', ioMs, fetches: facts.fetches.length },
    };
  }
  return {
    class: 'logic',
    rule: 'limit.timeout.compute',
    reason: `the attempt ran out of wall time without waiting on I/O (fetches took ${seconds(ioMs)} in all); an endless or very expensive loop is the usual cause`,
    evidence: { limit: 'timeout', ioMs, fetches: facts.fetches.length },
  };
}

function waitingOn(context: RuleContext, fetch: FetchFact, what: string): Verdict {
  return {
    class: 'transient',
    rule: 'limit.timeout.io',
    reason: `the attempt ran out of wall time ${what}`,
    evidence: { limit: 'timeout', host: fetch.host, fetch: fetchEvidence(fetch), ...costEvidence(context) },
  };
}

function costEvidence({ cost }: RuleContext): Record<string, unknown> {
  return cost ? { wallMs: cost.wallMs, cpuMs: cost.cpuMs } : {};
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
