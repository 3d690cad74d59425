/**
 * Errors that are bugs by their very kind: the script read a field that is not there, called something
 * that is not a function, parsed a body that is not JSON, or failed its own assertion. Runs after the
 * recording rules, so a TypeError caused by a 503 page has already been called transient.
 */
import { describeScriptError, errorMessage, errorName, nameAt, truncate } from '../describe';
import type { Rule } from './rule';
import { fetchEvidence } from './rule';

/** ECMAScript's own error types: thrown for mistakes in the code, never by the world outside it. */
const BUG_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TypeError',
  'ReferenceError',
  'SyntaxError',
  'RangeError',
  'EvalError',
  'URIError',
]);

const JSON_PARSE =
  /\bJSON\b|Unexpected token|Unexpected end of (?:JSON )?input|Unexpected non-whitespace|Bad control character/i;

export const errorShapeRule: Rule = ({ error, facts }) => {
  const name = errorName(error);
  const message = errorMessage(error);
  const last = facts.fetches.at(-1);
  const context = last ? { lastFetch: fetchEvidence(last) } : {};

  if (name === 'SyntaxError' && JSON_PARSE.test(message) && last?.status !== undefined && last.status < 300) {
    return {
      class: 'logic',
      rule: 'logic.json_shape',
      reason: `the response from ${last.host} (${last.status}) was not the JSON the script expected: ${truncate(message, 120)} (${nameAt(error)})`,
      evidence: { host: last.host, status: last.status, ...context },
    };
  }
  if (BUG_ERROR_NAMES.has(name)) {
    return { class: 'logic', rule: `logic.${name}`, reason: describeScriptError(error), evidence: context };
  }
  if (isAssertion(error.code, name, message)) {
    return {
      class: 'logic',
      rule: 'logic.assertion',
      reason: `an assertion in the script failed: ${truncate(message, 160)} (${nameAt(error)})`,
      evidence: context,
    };
  }
  return undefined;
};

function isAssertion(code: string | undefined, name: string, message: string): boolean {
  return (
    code === 'ERR_ASSERTION' ||
    /^Assertion(Error)?$/.test(name) ||
    /^(assertion failed|assert(ion)?\b)/i.test(message)
  );
}
