import { describe, expect, it } from 'vitest';
import { csrfSatisfied } from './csrf';

describe('csrfSatisfied', () => {
  it('lets reads through without a token', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'get'])
      expect(csrfSatisfied(method, undefined, 'expected')).toBe(true);
  });

  it('needs the exact session token on anything else', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(csrfSatisfied(method, undefined, 'expected')).toBe(false);
      expect(csrfSatisfied(method, '', 'expected')).toBe(false);
      expect(csrfSatisfied(method, 'expecte', 'expected')).toBe(false);
      expect(csrfSatisfied(method, ['expected', 'expected'], 'expected')).toBe(false);
      expect(csrfSatisfied(method, 'expected', 'expected')).toBe(true);
    }
  });
});
