/**
 * The recording shows a fetch that went wrong just before the script failed: that fetch is the likely
 * cause, whatever the script then threw (a TypeError on the error page's body, a SyntaxError parsing
 * an HTML 503 page, or its own `throw new Error('crm answered 503')`).
 */
import { describeScriptError, errorMessage, repeated } from '../describe';
import type { FetchFact } from '../recording-facts';
import { countSameOutcome, isFailedFetch, outcomesFor } from '../recording-facts';
import {
  AUTH_STATUSES,
  REQUEST_MISFIT_STATUSES,
  isTransientNetworkCode,
  isTransientStatus,
  networkCodeText,
  statusText,
} from '../signals';
import type { Rule, RuleContext, Verdict } from './rule';
import { fetchEvidence } from './rule';

export const fetchOutcomeRule: Rule = (context) => {
  const fetch = correlatedFailure(context.facts.fetches, errorMessage(context.error));
  return fetch ? judge(context, fetch) : undefined;
};

/**
 * Which failed fetch explains the error. The last fetch, if it failed: the script stopped right after
 * it. Otherwise an earlier failed fetch the error message points at (its status, host or error code),
 * for a script that failed on a response and did other work before throwing. A failure the script
 * recovered from (a 503 followed by a 200) explains nothing and is ignored.
 */
export function correlatedFailure(fetches: readonly FetchFact[], message: string): FetchFact | undefined {
  const last = fetches.at(-1);
  if (last && isFailedFetch(last)) return last;
  return [...fetches].reverse().find((f) => isFailedFetch(f) && mentions(message, f));
}

function mentions(message: string, fetch: FetchFact): boolean {
  if (fetch.host && message.toLowerCase().includes(fetch.host.toLowerCase())) return true;
  if (fetch.errorCode && message.includes(fetch.errorCode)) return true;
  return fetch.status !== undefined && new RegExp(`(^|[^\\d.])${fetch.status}(?![\\d.])`).test(message);
}

function judge(context: RuleContext, fetch: FetchFact): Verdict {
  const count = countSameOutcome(context.facts.fetches, fetch);
  const evidence = {
    host: fetch.host,
    ...(fetch.status !== undefined ? { status: fetch.status } : { networkCode: fetch.errorCode }),
    count,
    outcomes: outcomesFor(context.facts.fetches, fetch.host),
    fetch: fetchEvidence(fetch),
    ...(fetch.retryAfter !== undefined ? { retryAfter: fetch.retryAfter } : {}),
  };

  if (fetch.errorCode !== undefined) {
    if (isTransientNetworkCode(fetch.errorCode)) {
      return {
        class: 'transient',
        rule: 'fetch.network',
        reason: `fetch to ${fetch.host} failed with ${fetch.errorCode} (${networkCodeText(fetch.errorCode)})${repeated(count)}`,
        evidence,
      };
    }
    return undecided(context, fetch, `fetch to ${fetch.host} failed with ${fetch.errorCode}`, evidence);
  }

  const status = fetch.status ?? 0;
  const answered = `${fetch.host} answered ${status}`;
  const text = statusText(status, fetch.statusText);
  if (AUTH_STATUSES.has(status)) {
    const meaning =
      status === 401 ? 'rejected the credentials the script sent' : 'refused the credentials access';
    return {
      class: 'auth',
      rule: 'fetch.auth',
      reason: `${answered} (${text})${repeated(count)}: the service ${meaning}`,
      evidence,
    };
  }
  if (isTransientStatus(status)) {
    return {
      class: 'transient',
      rule: 'fetch.transient_status',
      reason: `${answered}${repeated(count)}${status === 429 ? ', asking the script to slow down' : ''}`,
      evidence,
    };
  }
  if (REQUEST_MISFIT_STATUSES.has(status)) {
    return {
      class: 'logic',
      rule: 'fetch.request_misfit',
      reason: `${answered} (${text}) to ${fetch.method} ${fetch.path}: the request no longer fits what the service expects`,
      evidence,
    };
  }
  return undecided(context, fetch, text ? `${answered} (${text})` : answered, evidence);
}

/**
 * A failed fetch that is neither clearly transient, auth nor a misfit (409, 402, a certificate error …):
 * it still explains the failure better than what the script threw, so say so and let a person decide
 * rather than guess a retry or a repair.
 */
function undecided(
  context: RuleContext,
  fetch: FetchFact,
  what: string,
  evidence: Record<string, unknown>,
): Verdict {
  return {
    class: 'unknown',
    rule: 'fetch.undecided',
    reason: `${what} before the script failed (${describeScriptError(context.error)}); Mendflow cannot tell whether a retry or a repair would help`,
    evidence,
  };
}
