import { describe, expect, it } from 'vitest';
import { loadApiConfig } from './api-config';
import { parseTrustProxy } from './trust-proxy';

const base = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/mendflow',
  REDIS_URL: 'redis://127.0.0.1:6379',
  MENDFLOW_SECRET_KEY: 'ab'.repeat(32),
};

describe('TRUST_PROXY', () => {
  it('trusts no proxy unless told to', () => {
    expect(loadApiConfig(base).TRUST_PROXY).toBe(false);
    expect(loadApiConfig({ ...base, TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadApiConfig({ ...base, TRUST_PROXY: '0' }).TRUST_PROXY).toBe(false);
  });

  it('takes a hop count or a list of addresses, ranges and the names Express knows', () => {
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy(' 2 ')).toBe(2);
    expect(parseTrustProxy('10.0.0.5')).toEqual(['10.0.0.5']);
    expect(parseTrustProxy('Loopback, 172.30.250.0/29,fd00::/8, 10.0.0.0/255.0.0.0, ::1')).toEqual([
      'loopback',
      '172.30.250.0/29',
      'fd00::/8',
      '10.0.0.0/255.0.0.0',
      '::1',
    ]);
    expect(loadApiConfig({ ...base, TRUST_PROXY: 'uniquelocal' }).TRUST_PROXY).toEqual(['uniquelocal']);
  });

  it('refuses true (anyone could claim any address) and anything that is not an address', () => {
    expect(() => loadApiConfig({ ...base, TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: true would let/);
    for (const bad of ['web', '10.0.0.0/33', '::1/129', '10.0.0.1/255.0', '1.2.3.4, ', 'loopback;rm']) {
      expect(parseTrustProxy(bad), bad).toHaveProperty('error');
    }
    expect(() => loadApiConfig({ ...base, TRUST_PROXY: 'api, 10.0.0.1' })).toThrow(/TRUST_PROXY: .*"api"/);
  });
});
