import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningSecret, signPayload, verifySignature } from './signature';

describe('webhook signatures', () => {
  const secret = generateSigningSecret();
  const body = '{"title":"Action needed"}';

  it('is the hex HMAC-SHA256 of "t.body", as a receiver computes it by hand', () => {
    const header = signPayload(secret, body, 1_700_000_000);
    const mac = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(header).toBe(`t=1700000000,v1=${mac}`);
    expect(verifySignature(secret, body, header, { nowSec: 1_700_000_010 })).toBe(true);
  });

  it('refuses another body, another secret, a stale timestamp and malformed headers', () => {
    const header = signPayload(secret, body, 1_700_000_000);
    const at = { nowSec: 1_700_000_000 };
    expect(verifySignature(secret, `${body} `, header, at)).toBe(false);
    expect(verifySignature(generateSigningSecret(), body, header, at)).toBe(false);
    expect(verifySignature(secret, body, header, { nowSec: 1_700_000_301 })).toBe(false);
    expect(verifySignature(secret, body, undefined, at)).toBe(false);
    expect(verifySignature(secret, body, 't=abc,v1=00', at)).toBe(false);
  });

  it('generates a fresh secret each time', () => {
    expect(generateSigningSecret()).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(generateSigningSecret()).not.toBe(generateSigningSecret());
  });
});
