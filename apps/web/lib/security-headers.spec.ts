import { describe, expect, it } from 'vitest';
import { generateNonce, pageContentSecurityPolicy } from './security-headers';

describe('pageContentSecurityPolicy', () => {
  it('allows scripts and style tags by nonce only, and no framing', () => {
    expect(pageContentSecurityPolicy({ nonce: 'abc', dev: false, https: false })).toBe(
      [
        "default-src 'self'",
        "script-src 'self' 'nonce-abc' 'strict-dynamic'",
        "style-src-elem 'self' 'nonce-abc'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; '),
    );
  });

  it('upgrades sub-resources over HTTPS, and relaxes for next dev', () => {
    expect(pageContentSecurityPolicy({ nonce: 'n', dev: false, https: true })).toMatch(
      /; upgrade-insecure-requests$/,
    );
    const dev = pageContentSecurityPolicy({ nonce: 'n', dev: true, https: false });
    expect(dev).toContain("script-src 'self' 'nonce-n' 'strict-dynamic' 'unsafe-eval'");
    expect(dev).toContain("style-src-elem 'self' 'unsafe-inline'");
  });
});

describe('generateNonce', () => {
  it('is 128 random bits, fresh each time', () => {
    const nonces = new Set(Array.from({ length: 50 }, generateNonce));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(Buffer.from(nonce, 'base64')).toHaveLength(16);
  });
});
