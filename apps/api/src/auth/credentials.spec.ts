import { describe, expect, it } from 'vitest';
import { apiKeyPrefix, generateApiKey, hashApiKey, hashPassword, verifyPassword } from './credentials';

describe('credentials', () => {
  it('generates distinct, prefixed API keys whose hash is stable and reveals nothing', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).toMatch(/^mf_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(hashApiKey(a)).toBe(hashApiKey(a));
    expect(hashApiKey(a)).not.toContain(a.slice(3));
    expect(apiKeyPrefix(a)).toBe(a.slice(0, 10));
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse');
    expect(stored.startsWith('scrypt$')).toBe(true);
    expect(stored).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('wrong horse', stored)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});
