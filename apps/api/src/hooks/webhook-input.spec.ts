import { describe, expect, it } from 'vitest';
import { buildWebhookInput, parseContentType, parseWait, parseWebhookBody } from './webhook-input';

const bytes = (text: string) => Buffer.from(text);

describe('parseWebhookBody', () => {
  it('parses JSON, also +json types and a charset parameter', () => {
    expect(parseWebhookBody(bytes('{"a":[1,2]}'), 'application/json')).toEqual({
      body: { a: [1, 2] },
      encoding: 'json',
      contentType: 'application/json',
    });
    expect(parseWebhookBody(bytes('"x"'), 'application/vnd.api+json; charset=UTF-8')).toMatchObject({
      body: 'x',
      contentType: 'application/vnd.api+json',
    });
  });

  it('refuses JSON that does not parse with 400 INVALID_JSON', () => {
    expect(() => parseWebhookBody(bytes('{"a":'), 'application/json')).toThrow(
      expect.objectContaining({ code: 'INVALID_JSON', kind: 'invalid' }),
    );
  });

  it('turns a form into an object, repeated fields into arrays, __proto__ into a plain key', () => {
    const { body, encoding } = parseWebhookBody(
      bytes('a=1&b=x+y&a=2&c=%C3%A9&__proto__=p'),
      'application/x-www-form-urlencoded',
    );
    expect(encoding).toBe('form');
    expect(body).toEqual({ a: ['1', '2'], b: 'x y', c: 'é', ['__proto__']: 'p' });
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
  });

  it('keeps text as a string, decoding its charset', () => {
    expect(parseWebhookBody(bytes('hello'), 'text/plain')).toEqual({
      body: 'hello',
      encoding: 'text',
      contentType: 'text/plain',
    });
    expect(parseWebhookBody(Buffer.from([0xe9]), 'text/plain; charset=iso-8859-1').body).toBe('é');
    expect(() => parseWebhookBody(bytes('x'), 'text/plain; charset=klingon')).toThrow(
      expect.objectContaining({ status: 415 }),
    );
  });

  it('carries any other type, or none, as base64', () => {
    const raw = Buffer.from([0, 1, 2, 255]);
    expect(parseWebhookBody(raw, 'application/octet-stream')).toEqual({
      body: 'AAEC/w==',
      encoding: 'base64',
      contentType: 'application/octet-stream',
    });
    expect(parseWebhookBody(raw, undefined)).toMatchObject({ encoding: 'base64', contentType: null });
  });

  it('gives an empty body as null', () => {
    expect(parseWebhookBody(Buffer.alloc(0), 'application/json')).toEqual({
      body: null,
      encoding: 'none',
      contentType: 'application/json',
    });
  });
});

describe('buildWebhookInput', () => {
  it('keeps the selected headers and the query without wait', () => {
    const input = buildWebhookInput({
      rawBody: bytes('{"ok":true}'),
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        authorization: 'Bearer secret',
        'set-cookie': ['a=1', 'b=2'],
      },
      query: { source: 'ci', wait: '5', tag: ['a', 'b'] },
      selectedHeaders: ['x-github-event', 'set-cookie', 'x-absent'],
    });
    expect(input).toEqual({
      body: { ok: true },
      encoding: 'json',
      contentType: 'application/json',
      query: { source: 'ci', tag: ['a', 'b'] },
      headers: { 'x-github-event': 'push', 'set-cookie': 'a=1, b=2' },
    });
  });

  it('refuses what PostgreSQL cannot store, naming the field', () => {
    expect(() =>
      buildWebhookInput({
        rawBody: bytes('a\u0000b'),
        headers: { 'content-type': 'text/plain' },
        query: {},
        selectedHeaders: [],
      }),
    ).toThrow(
      expect.objectContaining({ code: 'INVALID_CHARACTERS', message: expect.stringMatching(/^body: /) }),
    );
  });
});

describe('parseContentType', () => {
  it('lower-cases the type and reads a quoted charset', () => {
    expect(parseContentType('Text/Plain; Charset="utf-8"')).toEqual({ type: 'text/plain', charset: 'utf-8' });
    expect(parseContentType(undefined)).toBeNull();
  });
});

describe('parseWait', () => {
  it('accepts 1..max seconds and names wait otherwise', () => {
    expect(parseWait(undefined, 30)).toBeNull();
    expect(parseWait('5', 30)).toBe(5);
    expect(parseWait('30', 30)).toBe(30);
    for (const bad of ['0', '31', '1.5', 'soon', '-1', ['1', '2']]) {
      expect(() => parseWait(bad, 30)).toThrow(
        expect.objectContaining({ message: expect.stringMatching(/^wait: /) }),
      );
    }
  });
});
