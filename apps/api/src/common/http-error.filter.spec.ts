import {
  BadRequestException,
  HttpException,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { DomainError, ValidationError, withLogContext } from '@mendflow/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RouteLayer } from './allowed-methods';
import { HttpErrorFilter, httpError } from './http-error.filter';

interface FakeRequest {
  method: string;
  originalUrl: string;
  path: string;
  app: { router: { stack: RouteLayer[] } };
}

const routes: FakeRequest['app'] = {
  router: {
    stack: [
      { route: { path: '/api/v1/automations', methods: { get: true } } },
      { route: { path: '/api/v1/automations', methods: { post: true } } },
      { route: { path: '/api/v1/automations/:id', methods: { patch: true, delete: true } } },
      { route: { path: '*path', methods: { _all: true } } },
    ],
  },
};

function request(method: string, url: string): FakeRequest {
  return { method, originalUrl: url, path: url.split('?')[0]!, app: routes };
}

function respond(exception: unknown, req?: FakeRequest) {
  const sent: { status?: number; body?: any; headers: Record<string, string> } = { headers: {} };
  const response = {
    headersSent: false,
    setHeader(name: string, value: string) {
      sent.headers[name] = value;
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response, getRequest: () => req }) };
  new HttpErrorFilter().catch(exception, host as never);
  return sent;
}

/** What Nest's handler for unmatched requests throws. */
const unmatched = (req: FakeRequest) => new NotFoundException(`Cannot ${req.method} ${req.originalUrl}`);

afterEach(() => vi.restoreAllMocks());

describe('HttpErrorFilter', () => {
  it('keeps a domain error code and maps its kind to a status', () => {
    expect(respond(new DomainError('AUTOMATION_NAME_TAKEN', 'conflict', 'taken'))).toMatchObject({
      status: 409,
      body: { error: { code: 'AUTOMATION_NAME_TAKEN', message: 'taken', details: undefined } },
    });
  });

  it('names the bad field of a validation error', () => {
    const sent = respond(
      new ValidationError([{ path: 'manifest.limits.timeoutMs', message: 'expected number' }]),
    );
    expect(sent.status).toBe(400);
    expect(sent.body.error.message).toBe('manifest.limits.timeoutMs: expected number');
  });

  it('gives framework errors stable codes, in the envelope', () => {
    expect(respond(new UnauthorizedException()).body.error.code).toBe('UNAUTHENTICATED');
    expect(respond(new NotFoundException()).body).toEqual({
      error: { code: 'NOT_FOUND', message: 'Not Found' },
    });
    // Nest's default body has an `error` field too ("Bad Request"): it is not our envelope.
    expect(respond(new BadRequestException('nope')).body).toEqual({
      error: { code: 'BAD_REQUEST', message: 'nope' },
    });
    expect(respond(new HttpException('slow down', 429)).body.error.code).toBe('RATE_LIMITED');
  });

  it('answers 503 SERVICE_UNAVAILABLE, never 500, while PostgreSQL or Redis cannot be reached', () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    // What @prisma/adapter-pg throws with the server gone, and node-postgres mid-query.
    const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      name: 'DriverAdapterError',
      cause: { kind: 'DatabaseNotReachable' },
    });
    const terminated = new Error('Connection terminated unexpectedly');
    const shuttingDown = Object.assign(new Error('terminating connection due to administrator command'), {
      name: 'DriverAdapterError',
      cause: { kind: 'postgres', originalCode: '57P01' },
    });
    for (const exception of [unreachable, terminated, shuttingDown]) {
      expect(respond(exception)).toEqual({
        status: 503,
        headers: { 'retry-after': '5' },
        body: {
          error: {
            code: 'SERVICE_UNAVAILABLE',
            message: 'PostgreSQL is unavailable; retry in a few seconds',
            details: { dependency: 'postgresql' },
          },
        },
      });
    }
    // ioredis: a command while the connection is down (no offline queue), and one out of retries.
    const offline = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    const retries = Object.assign(new Error('Reached the max retries per request limit (which is 1).'), {
      name: 'MaxRetriesPerRequestError',
    });
    for (const exception of [offline, retries]) {
      expect(respond(exception)).toMatchObject({
        status: 503,
        body: { error: { code: 'SERVICE_UNAVAILABLE', details: { dependency: 'redis' } } },
      });
    }
    expect(error).not.toHaveBeenCalled();
    // A query the database refused for its values is still a bug (500), not an outage.
    const refused = Object.assign(new Error('invalid byte sequence'), {
      name: 'DriverAdapterError',
      cause: { kind: 'postgres', originalCode: '22021' },
    });
    expect(respond(refused).status).toBe(500);
  });

  it('maps every body parser error to a status and code of its own', () => {
    const parseError = { type: 'entity.parse.failed', status: 400, message: 'Unexpected end' };
    expect(respond(parseError).body.error.code).toBe('INVALID_JSON');
    expect(respond(new BadRequestException('Unexpected end', { cause: parseError })).body.error.code).toBe(
      'INVALID_JSON',
    );
    expect(respond({ type: 'entity.too.large', status: 413, message: 'x', limit: 1_048_576 })).toMatchObject({
      status: 413,
      body: {
        error: { code: 'PAYLOAD_TOO_LARGE', message: 'the request body is larger than 1048576 bytes' },
      },
    });
    for (const type of ['charset.unsupported', 'encoding.unsupported']) {
      expect(respond({ type, status: 415, message: 'unsupported charset "LATIN1"' })).toMatchObject({
        status: 415,
        body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
      });
    }
    expect(
      respond({ type: 'request.aborted', status: 400, message: 'request aborted' }).body.error.code,
    ).toBe('BAD_REQUEST');
  });

  it('answers an undecodable %-escape in the path with a 400 that says so', () => {
    const decodeError = Object.assign(new URIError("Failed to decode param '%E0%A4%A'"), { status: 400 });
    const sent = respond(new BadRequestException(decodeError.message, { cause: decodeError }));
    expect(sent.status).toBe(400);
    expect(sent.body.error).toEqual({
      code: 'BAD_REQUEST',
      message: "the path holds an undecodable %-escape: Failed to decode param '%E0%A4%A'",
    });
  });

  it('answers an unknown path 404 and a known path with another method 405 with Allow', () => {
    const unknown = request('GET', '/api/v1/nope?x=1');
    expect(respond(unmatched(unknown), unknown)).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'no route GET /api/v1/nope?x=1' } },
      headers: {},
    });
    const put = request('PUT', '/api/v1/automations/');
    expect(respond(unmatched(put), put)).toMatchObject({
      status: 405,
      body: { error: { code: 'METHOD_NOT_ALLOWED', details: { allow: ['GET', 'HEAD', 'POST'] } } },
      headers: { allow: 'GET, HEAD, POST' },
    });
    const preflight = request('OPTIONS', '/api/v1/automations/0b6f4a8e');
    const sent = respond(unmatched(preflight), preflight);
    expect(sent.status).toBe(405);
    expect(sent.headers.allow).toBe('DELETE, PATCH');
    expect(sent.body.error.message).toMatch(/answers no CORS preflight/);
  });

  it('sends an error already in the envelope as it is', () => {
    expect(respond(httpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'json only'))).toMatchObject({
      status: 415,
      body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'json only' } },
    });
  });

  it('answers an unexpected error with 500 and a reference, never the internals', () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const sent = respond(new Error('connection string postgres://secret@db'));
    expect(sent.status).toBe(500);
    expect(sent.body.error.code).toBe('INTERNAL');
    expect(JSON.stringify(sent.body)).not.toContain('secret');
    expect(logged).toHaveBeenCalledWith(`request ${sent.body.error.requestId} failed`, expect.any(String));
  });

  it("answers a 500 with the request's own id, the one its log lines carry", () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const requestId = '5f0c8d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f';
    const sent = withLogContext({ requestId }, () => respond(new Error('boom')));
    expect(sent.body.error.requestId).toBe(requestId);
  });

  it('logs a database error without the SQL parameter values it carries', () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    // What the PostgreSQL driver adapter throws when a value cannot be cast.
    const error = Object.assign(new Error('invalid input syntax for type uuid: "private input"'), {
      name: 'DriverAdapterError',
      cause: { kind: 'postgres', code: '22P02', detail: 'private input' },
    });
    expect(respond(error).status).toBe(500);
    const text = logged.mock.calls.map((call) => call.join(' ')).join('\n');
    expect(text).toContain(
      'DriverAdapterError: invalid input syntax for type uuid: "…"; cause postgres 22P02',
    );
    expect(text).not.toContain('private input');
  });
});
