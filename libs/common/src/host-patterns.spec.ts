import { describe, expect, it } from 'vitest';
import { compileHostPatterns, hostPatternWithin } from './host-patterns';

describe('compileHostPatterns', () => {
  const allowed = compileHostPatterns([
    'api.example.com',
    '*.chat.example.com',
    'internal.test:8443',
    '127.0.0.1',
  ]);
  const check = (url: string) => allowed(new URL(url));

  it.each([
    'https://api.example.com/v1',
    'http://api.example.com/',
    'https://API.Example.com./x',
    'https://hooks.chat.example.com/x',
    'https://a.b.chat.example.com/x',
    'https://internal.test:8443/',
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f.1/',
  ])('allows %s', (url) => {
    expect(check(url)).toBe(true);
  });

  it.each([
    'https://example.com/',
    'https://api.example.com:6379/',
    'https://chat.example.com/',
    'https://evilchat.example.com/',
    'https://api.example.com.evil.com/',
    'https://api.example.com@evil.com/',
    'https://internal.test/',
    'http://127.0.0.1:8080/',
    'http://[::1]/',
    'ftp://api.example.com/',
    'file:///etc/passwd',
  ])('refuses %s', (url) => {
    expect(check(url)).toBe(false);
  });

  it('allows nothing with no patterns', () => {
    expect(compileHostPatterns([])(new URL('https://api.example.com/'))).toBe(false);
  });
});

describe('hostPatternWithin', () => {
  const manifest = ['api.example.com', '*.example.org', 'internal.test:8443'];

  it.each(['api.example.com', 'a.example.org', '*.b.example.org', 'internal.test:8443'])(
    '%s is within the manifest',
    (pattern) => {
      expect(hostPatternWithin(pattern, manifest)).toBe(true);
    },
  );

  it.each(['example.com', '*.example.com', 'example.org', 'api.example.com:8080', 'internal.test'])(
    '%s is not within the manifest',
    (pattern) => {
      expect(hostPatternWithin(pattern, manifest)).toBe(false);
    },
  );
});
