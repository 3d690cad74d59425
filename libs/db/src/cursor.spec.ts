import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor';

const id = '0b6f4a8e-3c1d-4e2f-9a7b-5c6d7e8f9a0b';
const encode = (text: string) => Buffer.from(text).toString('base64url');

describe('cursor', () => {
  it('decodes what it encoded', () => {
    const cursor = { createdAt: new Date('2026-05-01T12:00:00.123Z'), id };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('refuses anything that could fail in SQL as INVALID_CURSOR', () => {
    for (const value of [
      '',
      '%00',
      encode(`2026-05-01T00:00:00Z|${'-'.repeat(36)}`),
      encode(`2026-05-01T00:00:00Z|${id.replace('a', 'z')}`),
      encode(`+099999-01-01T00:00:00Z|${id}`),
      encode(`-271821-04-20T00:00:00Z|${id}`),
      encode(`not a date|${id}`),
      encode(`2026-05-01T00:00:00Z|${id}|extra`),
    ]) {
      expect(() => decodeCursor(value), value).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    }
  });
});
