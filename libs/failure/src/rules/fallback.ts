import { describeScriptError } from '../describe';
import type { RuleContext, Verdict } from './rule';
import { fetchEvidence } from './rule';

/**
 * Nothing placed the failure. Unknown escalates: a person looks at it rather than Mendflow retrying
 * something that may have side effects, or rewriting code that may not be wrong (a plain
 * `throw new Error('no leads')` can be either).
 */
export function unknownRule({ error, facts }: RuleContext): Verdict {
  const last = facts.fetches.at(-1);
  return {
    class: 'unknown',
    rule: 'unknown',
    reason: `the script failed (${describeScriptError(error)}) and nothing in the attempt shows whether a retry, a repair or a person is needed`,
    evidence: last ? { lastFetch: fetchEvidence(last) } : {},
  };
}
