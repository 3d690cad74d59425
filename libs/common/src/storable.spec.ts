import { describe, expect, it } from 'vitest';
import {
  findUnstorable,
  storableDeep,
  storableText,
  TOO_DEEP_MARKER,
  unstorableCharacter,
} from './storable';

describe('storable text', () => {
  it('finds NUL and lone surrogates, and accepts proper pairs', () => {
    expect(unstorableCharacter('plain')).toBeUndefined();
    expect(unstorableCharacter('emoji 😀')).toBeUndefined();
    expect(unstorableCharacter('a\u0000b')).toBe('nul');
    expect(unstorableCharacter('a\ud800b')).toBe('surrogate');
    expect(unstorableCharacter('\udc00')).toBe('surrogate');
    expect(unstorableCharacter('😀'.slice(0, 1))).toBe('surrogate');
  });

  it('replaces them with U+FFFD and returns clean text unchanged', () => {
    expect(storableText('a\u0000b\ud800c\udfff')).toBe('a\ufffdb\ufffdc\ufffd');
    const clean = 'nothing to do 😀';
    expect(storableText(clean)).toBe(clean);
  });
});

describe('storable JSON', () => {
  it('names the path of the first bad string or key', () => {
    expect(findUnstorable({ a: [1, { b: 'x\u0000' }] }, 64)).toEqual({ problem: 'nul', path: '$.a[1].b' });
    expect(findUnstorable({ ok: 1, 'bad\ud800key': 2 }, 64)).toEqual({
      problem: 'surrogate',
      path: '$["bad\\ud800key"]',
    });
    expect(findUnstorable('\u0000', 64)).toEqual({ problem: 'nul', path: '$' });
    expect(findUnstorable({ a: [1, 'fine', null, true] }, 64)).toBeUndefined();
  });

  it('stops at the depth bound instead of overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(findUnstorable(deep, 64)).toEqual({ problem: 'depth', path: '$' + '[0]'.repeat(64) });
    const cleaned = storableDeep(deep, 8);
    expect(JSON.stringify(cleaned)).toBe('['.repeat(8) + JSON.stringify(TOO_DEEP_MARKER) + ']'.repeat(8));
  });

  it('cleans strings and keys, shares what is unchanged, and keeps __proto__ a plain key', () => {
    const untouched = { list: [1, 2], nested: { s: 'fine' } };
    const value = { untouched, bad: ['x\u0000', 'ok'], 'k\ud800': 1 };
    const cleaned = storableDeep(value, 64);
    expect(cleaned).toEqual({ untouched, bad: ['x\ufffd', 'ok'], 'k\ufffd': 1 });
    expect(cleaned.untouched).toBe(untouched);
    expect(storableDeep(untouched, 64)).toBe(untouched);
    const proto = storableDeep(JSON.parse('{"__proto__":{"p":"\\u0000"}}') as Record<string, unknown>, 64);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.hasOwn(proto, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).p).toBeUndefined();
  });
});
