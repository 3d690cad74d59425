import { errorMessage, repeated } from '../describe';
import { countSameOutcome, hostInText } from '../recording-facts';
import { isTransientNetworkCode, networkCodeText, networkFailureInMessage } from '../signals';
import type { Rule } from './rule';
import { fetchEvidence } from './rule';

/**
 * The thrown error is itself a network failure (ctx.fetch rejected and the script let it through, or
 * rethrew its message). Retrying is the right answer whatever else the attempt did.
 */
export const networkErrorRule: Rule = ({ error, facts }) => {
  const message = errorMessage(error);
  const code = isTransientNetworkCode(error.code) ? error.code : networkFailureInMessage(message);
  if (!code) return undefined;
  // The recording usually holds the failed fetch, which names the host and how often it failed.
  const fetch =
    [...facts.fetches].reverse().find((f) => f.errorCode === code) ??
    facts.fetches.filter((f) => f.errorCode).at(-1);
  const host = fetch?.host ?? hostInText(message);
  const count = fetch ? countSameOutcome(facts.fetches, fetch) : 1;
  const what = isTransientNetworkCode(code) ? `${code} (${networkCodeText(code)})` : `"${code}"`;
  return {
    class: 'transient',
    rule: 'network.error',
    reason: `${host ? `fetch to ${host}` : 'a fetch'} failed with ${what}${repeated(count)}`,
    evidence: {
      networkCode: code,
      ...(host ? { host } : {}),
      count,
      ...(fetch ? { fetch: fetchEvidence(fetch) } : {}),
    },
  };
};
