import { describe, expect, it } from 'vitest';
import { scrubError } from './scrub';

describe('scrubError', () => {
  it('removes a secret in every form it travels in, and AUTH continuations', () => {
    const password = 'hunter2-very-secret';
    const plain = Buffer.from(`\u0000ops\u0000${password}`).toString('base64');
    const message = [
      `Invalid login: 535 rejected ${password}`,
      `url https://x.test/?p=${encodeURIComponent(password)}`,
      `b64 ${Buffer.from(password).toString('base64')}`,
      `C: AUTH PLAIN ${plain}`,
      `raw ${plain}`,
    ].join('\n');
    const scrubbed = scrubError(message, [password], { user: 'ops' });
    expect(scrubbed).not.toContain(password);
    expect(scrubbed).not.toContain(plain);
    expect(scrubbed).not.toContain(Buffer.from(password).toString('base64'));
    expect(scrubbed).toContain('AUTH PLAIN ***');
    expect(scrubbed).toContain('535 rejected ***');
  });

  it('ignores empty secrets and bounds the length', () => {
    expect(scrubError('connect ECONNREFUSED', [null, undefined, ''])).toBe('connect ECONNREFUSED');
    expect(scrubError('x'.repeat(2000), [])).toHaveLength(500);
  });
});
