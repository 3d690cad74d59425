import { secretsEqual } from './credentials';

/** Header in which a cookie-authenticated dashboard echoes its session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';

// Reads change nothing, so a forged one gains an attacker nothing (the answer goes to the victim's page,
// which the attacker cannot read cross-origin). Everything else must prove it came from our own page.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * True when a cookie-authenticated request may proceed: a safe method, or an `x-csrf-token` equal to the
 * session's token. A cross-site page can make the browser send the cookie, but it cannot read the token
 * (it only ever comes back in response bodies) nor set a custom header without a CORS preflight.
 */
export function csrfSatisfied(
  method: string,
  header: string | string[] | undefined,
  expected: string,
): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return true;
  if (typeof header !== 'string' || header.length === 0) return false;
  return secretsEqual(header, expected);
}
