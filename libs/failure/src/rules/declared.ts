import { errorMessage, nameAt, truncate } from '../describe';
import type { Rule } from './rule';

const ARTICLE = { transient: 'a transient', auth: 'an auth', logic: 'a logic' } as const;

/**
 * The script threw ctx.errors.TransientError / AuthError / LogicError: its author knows the service
 * better than any heuristic, so the declared class wins over everything the recording suggests. The one
 * exception is policy, which runs before this rule (a script may not talk its way out of a violation).
 */
export const declaredRule: Rule = ({ error }) => {
  const declared = error.declaredClass;
  if (declared !== 'transient' && declared !== 'auth' && declared !== 'logic') return undefined;
  const message = truncate(errorMessage(error), 160);
  return {
    class: declared,
    rule: `declared.${declared}`,
    reason: `the script reported ${ARTICLE[declared]} failure: ${message || '(no message)'} (${nameAt(error)})`,
    evidence: { declaredClass: declared },
  };
};
