import type { Rule } from './rule';
import { secretNameInText } from './rule';

/**
 * A declared secret without a value: the script cannot authenticate, and neither a retry nor a repair
 * can supply the value. Also applies when the sandbox handed the script `undefined` and the script then
 * failed on it (a TypeError, or a 400 for an empty header): the missing secret is the cause to fix first.
 */
export const missingSecretRule: Rule = ({ error, facts }) => {
  const missing = [...facts.secrets].reverse().find((s) => !s.present && s.denied === undefined);
  if (error.code !== 'SECRET_MISSING' && !missing) return undefined;
  const name = missing?.name ?? secretNameInText(error.message);
  const subject = name ? `secret ${name}` : 'a secret the script declares';
  const fix = name ? `; set it with PUT /api/v1/secrets/${name}` : '';
  return {
    class: 'auth',
    rule: 'auth.secret_missing',
    reason: `${subject} has no value${fix}`,
    evidence: { code: 'SECRET_MISSING', ...(name ? { secret: name } : {}) },
  };
};
