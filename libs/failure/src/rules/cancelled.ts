import type { Rule } from './rule';
import { limitOf } from './rule';

/**
 * A cancelled attempt is not a failure to classify: a person or the API asked for it, and the run ends
 * as `cancelled`. The worker should not ask; if it does, the answer is the safe `unknown`, and no inbox
 * item, because nobody needs to act on a cancellation they made.
 */
export const cancelledRule: Rule = ({ error }) => {
  if (limitOf(error) !== 'cancelled' && error.code !== 'CANCELLED') return undefined;
  return {
    class: 'unknown',
    rule: 'cancelled',
    reason: 'the attempt was cancelled on request; a cancellation is not a failure to classify',
    evidence: { limit: 'cancelled' },
    noInbox: true,
  };
};
