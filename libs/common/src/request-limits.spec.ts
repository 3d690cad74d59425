import { describe, expect, it } from 'vitest';
import { checkRequestData, dateParam, intParam, REQUEST_LIMITS } from './request-limits';

function refusal(value: unknown, maxDepth?: number) {
  try {
    checkRequestData(value, maxDepth);
  } catch (error) {
    return error as { code: string; message: string; details: { issues: { path: string }[] } };
  }
  return undefined;
}

describe('checkRequestData', () => {
  it('accepts plain request data, proper surrogate pairs and nesting up to the limit', () => {
    expect(refusal({ name: 'Orders 😀', input: { rows: [1, 'two', null, true] } })).toBeUndefined();
    const deepest = JSON.parse(
      '['.repeat(REQUEST_LIMITS.maxJsonDepth) + ']'.repeat(REQUEST_LIMITS.maxJsonDepth),
    );
    expect(refusal(deepest)).toBeUndefined();
  });

  it('refuses a NUL or a lone surrogate anywhere, naming the field', () => {
    expect(refusal({ name: 'a\u0000b' })).toMatchObject({
      code: 'INVALID_CHARACTERS',
      message: 'name: contains a NUL character (U+0000), which cannot be stored',
      details: { issues: [{ path: 'name' }] },
    });
    expect(refusal({ input: { rows: [{ note: 'x\ud800' }] } })).toMatchObject({
      code: 'INVALID_CHARACTERS',
      details: { issues: [{ path: 'input.rows[0].note' }] },
    });
    expect(refusal({ input: { 'bad\udfffkey': 1 } })?.details.issues[0]?.path).toBe('input["bad\\udfffkey"]');
    expect(refusal({ cursor: ['ok', '\u0000'] })?.details.issues[0]?.path).toBe('cursor[1]');
    expect(refusal('\u0000')?.message).toMatch(/^body: /);
  });

  it('refuses nesting past the limit without overflowing the stack, however deep', () => {
    const depth = REQUEST_LIMITS.maxJsonDepth + 1;
    expect(refusal(JSON.parse('['.repeat(depth) + ']'.repeat(depth)))).toMatchObject({
      code: 'JSON_TOO_DEEP',
    });
    const hostile = JSON.parse(`{"input":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
    const refused = refusal(hostile);
    expect(refused?.code).toBe('JSON_TOO_DEEP');
    expect(refused?.details.issues[0]?.path).toMatch(/^input\[0\]\[0\]/);
    expect(refused?.details.issues[0]?.path.length).toBeLessThanOrEqual(201);
    expect(refusal({ a: { b: {} } }, 2)).toMatchObject({
      code: 'JSON_TOO_DEEP',
      details: { issues: [{ path: 'a.b' }] },
    });
  });
});

describe('dateParam', () => {
  const parse = (value: unknown) => dateParam.safeParse(value);

  it('takes ISO 8601 dates and zoned date-times within the range', () => {
    expect(parse('2026-05-01').data?.toISOString()).toBe('2026-05-01T00:00:00.000Z');
    expect(parse('2026-05-01T12:00:00.5+02:00').data?.toISOString()).toBe('2026-05-01T10:00:00.500Z');
    expect(parse(REQUEST_LIMITS.earliestDate).success).toBe(true);
    expect(parse(REQUEST_LIMITS.latestDate).success).toBe(true);
  });

  it('refuses dates out of range, local times, other notations and other types', () => {
    for (const value of [
      '99999-01-01',
      '-271821-04-20',
      '+275760-09-13T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '9999-12-31T23:59:59-01:00',
      '2026-02-30',
      '2026-05-01T12:00:00',
      'May 1, 2026',
      '1714521600000',
      '',
      1714521600000,
      ['2026-05-01'],
    ]) {
      expect(parse(value).success, String(value)).toBe(false);
    }
    expect(parse('1969-12-31').error?.issues[0]?.message).toBe('must be between 1970-01-01 and 9999-12-31');
  });
});

describe('intParam', () => {
  it('bounds counters to what an integer column holds', () => {
    expect(intParam.safeParse(REQUEST_LIMITS.maxInt).success).toBe(true);
    expect(intParam.safeParse(REQUEST_LIMITS.maxInt + 1).success).toBe(false);
    expect(intParam.safeParse(-1).success).toBe(false);
    expect(intParam.safeParse(1.5).success).toBe(false);
  });
});
