import type { NextFunction, Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { checkParsedRequest, refuseOtherMediaTypes } from './request-guards';

type Guard = (request: Request, response: Response, next: NextFunction) => void;

/** Runs one guard on a fake request and returns what it passed to `next`. */
function run(
  guard: Guard,
  request: { headers?: Record<string, string>; body?: unknown; query?: unknown; path?: string },
) {
  const headers = request.headers ?? {};
  const fake = {
    path: request.path ?? '/api/v1/automations',
    headers,
    body: request.body,
    query: request.query ?? {},
    // The part of Express's `req.is` these guards use: is the body of this media type?
    is: (type: string) => (headers['content-type'] ?? '').split(';')[0]!.trim() === type,
  };
  let passed: unknown = 'not called';
  guard(fake as unknown as Request, {} as Response, (error?: unknown) => (passed = error));
  return passed as undefined | { getStatus?: () => number; getResponse?: () => unknown; code?: string };
}

describe('refuseOtherMediaTypes', () => {
  it('lets JSON bodies and requests without a body through', () => {
    const json = { 'content-type': 'application/json; charset=utf-8', 'content-length': '2' };
    expect(run(refuseOtherMediaTypes, { headers: json })).toBeUndefined();
    expect(run(refuseOtherMediaTypes, { headers: {} })).toBeUndefined();
    expect(
      run(refuseOtherMediaTypes, { headers: { 'content-type': 'text/plain', 'content-length': '0' } }),
    ).toBeUndefined();
  });

  it('answers 415 for a body of any other type, or of no declared type', () => {
    for (const headers of <Record<string, string>[]>[
      { 'content-type': 'text/plain', 'content-length': '5' },
      { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
      { 'content-length': '5' },
    ]) {
      const refused = run(refuseOtherMediaTypes, { headers });
      expect(refused?.getStatus?.()).toBe(415);
      expect(refused?.getResponse?.()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    }
  });

  it('lets webhooks through with any type: the hook parses its raw body itself', () => {
    const headers = { 'content-type': 'text/plain', 'content-length': '5' };
    expect(run(refuseOtherMediaTypes, { headers, path: '/api/v1/hooks/a/b' })).toBeUndefined();
    expect(run(refuseOtherMediaTypes, { headers, path: '/api/v1/hooksx' })?.getStatus?.()).toBe(415);
  });
});

describe('checkParsedRequest', () => {
  it('passes clean bodies and queries on', () => {
    expect(run(checkParsedRequest, { body: { name: 'ok' }, query: { limit: '5' } })).toBeUndefined();
    expect(run(checkParsedRequest, { body: undefined })).toBeUndefined();
  });

  it('refuses unstorable characters in the body or the query, and deep bodies', () => {
    expect(run(checkParsedRequest, { body: { idempotencyKey: 'k\u0000' } })).toMatchObject({
      code: 'INVALID_CHARACTERS',
      message: expect.stringMatching(/^idempotencyKey: /),
    });
    expect(run(checkParsedRequest, { query: { cursor: '\ud800' } })).toMatchObject({
      code: 'INVALID_CHARACTERS',
      message: expect.stringMatching(/^cursor: /),
    });
    const deep = JSON.parse(`{"input":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect(run(checkParsedRequest, { body: deep })).toMatchObject({ code: 'JSON_TOO_DEEP' });
  });
});
