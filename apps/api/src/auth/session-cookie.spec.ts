import { describe, expect, it } from 'vitest';
import { readCookie, SESSION_TTL_MS, sessionCookieOptions } from './session-cookie';

describe('session cookie', () => {
  it('reads one cookie out of a Cookie header', () => {
    expect(readCookie('a=1; mf_session=tok%2Fen; b=2', 'mf_session')).toBe('tok/en');
    expect(readCookie('mf_session="quoted"', 'mf_session')).toBe('quoted');
    expect(readCookie('xmf_session=1; mf_session_old=2', 'mf_session')).toBeUndefined();
    expect(readCookie(undefined, 'mf_session')).toBeUndefined();
  });

  it('is httpOnly, SameSite=Lax, for the whole site, for seven days, and Secure over https', () => {
    expect(sessionCookieOptions(false)).toEqual({
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: false,
      maxAge: SESSION_TTL_MS,
    });
    expect(sessionCookieOptions(true).secure).toBe(true);
    expect(SESSION_TTL_MS).toBe(7 * 24 * 3600 * 1000);
  });
});
