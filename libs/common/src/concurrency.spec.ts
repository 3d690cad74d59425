import { describe, expect, it } from 'vitest';
import { resolveJsonPointer, runConcurrency } from './concurrency';
import { ValidationError } from './errors';
import { manifestSchema } from './manifest';

describe('manifest concurrency', () => {
  it('accepts a limit with an RFC 6901 pointer as key, and refuses other keys', () => {
    expect(manifestSchema.parse({ concurrency: { limit: 2, key: '/customerId' } }).concurrency).toEqual({
      limit: 2,
      key: '/customerId',
    });
    expect(manifestSchema.safeParse({ concurrency: { limit: 2, key: '/a~1b/~0c/0' } }).success).toBe(true);
    for (const key of ['customerId', '', '/a~2', '/a~']) {
      expect(manifestSchema.safeParse({ concurrency: { limit: 2, key } }).success, key).toBe(false);
    }
    expect(manifestSchema.safeParse({ concurrency: { limit: 0 } }).success).toBe(false);
    expect(manifestSchema.safeParse({ concurrency: { limit: 1001 } }).success).toBe(false);
  });

  it('resolves pointers through objects and arrays, unescaping ~1 and ~0', () => {
    const doc = { 'a/b': { '~c': [10, 20] }, n: null };
    expect(resolveJsonPointer(doc, '/a~1b/~0c/1')).toBe(20);
    expect(resolveJsonPointer(doc, '/a~1b/~0c/01')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/missing/x')).toBeUndefined();
    expect(resolveJsonPointer(doc, '/n')).toBeNull();
  });

  it("gives a run its line: the key's value as a string, '' without a key, none without a limit", () => {
    expect(runConcurrency(undefined, { customerId: 'c1' })).toBeNull();
    expect(runConcurrency({ limit: 3 }, null)).toEqual({ limit: 3, key: '' });
    const keyed = { limit: 1, key: '/customerId' };
    expect(runConcurrency(keyed, { customerId: 'c1' })).toEqual({ limit: 1, key: 'c1' });
    expect(runConcurrency(keyed, { customerId: 42 })).toEqual({ limit: 1, key: '42' });
    expect(runConcurrency(keyed, { customerId: true })).toEqual({ limit: 1, key: 'true' });
  });

  it('refuses a run whose input lacks the key, naming the field with a stable code', () => {
    const keyed = { limit: 1, key: '/order/customerId' };
    for (const input of [
      null,
      {},
      { order: {} },
      { order: { customerId: null } },
      { order: { customerId: '' } },
      { order: { customerId: {} } },
    ]) {
      try {
        runConcurrency(keyed, input);
        expect.unreachable(JSON.stringify(input));
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).code).toBe('RUN_CONCURRENCY_KEY_MISSING');
        expect((error as ValidationError).issues[0]!.path).toBe('input.order.customerId');
      }
    }
  });
});
