import type { CookieOptions } from 'express';

/** The dashboard's session cookie: an opaque random token, looked up by its SHA-256. */
export const SESSION_COOKIE = 'mf_session';
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * httpOnly: page scripts (and so an injected one) cannot read it. SameSite=Lax: browsers leave it off
 * cross-site subrequests and form posts, the first line against cross-site requests (the CSRF header is
 * the second). Secure whenever the request came over https, so it is never sent back in clear text.
 */
export function sessionCookieOptions(secure: boolean): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure, maxAge: SESSION_TTL_MS };
}

/** Clearing must repeat the attributes the cookie was set with, or the browser keeps it. */
export function clearedSessionCookieOptions(secure: boolean): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure };
}

/** One cookie's value from a `Cookie` header (RFC 6265 syntax), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    let value = pair.slice(separator + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}
