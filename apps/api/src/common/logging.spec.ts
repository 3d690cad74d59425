import { EventEmitter } from 'node:events';
import { currentLogContext } from '@mendflow/common';
import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentRequestId, pathLogFields, requestLogging } from './logging';

const RUN = '0b6f4a8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const AUTOMATION = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

afterEach(() => vi.restoreAllMocks());

describe('pathLogFields', () => {
  it('names the run or automation a path is about, and nothing for other paths', () => {
    expect(pathLogFields(`/api/v1/runs/${RUN}`)).toEqual({ runId: RUN });
    expect(pathLogFields(`/api/v1/runs/${RUN.toUpperCase()}/events`)).toEqual({ runId: RUN });
    expect(pathLogFields(`/api/v1/automations/${AUTOMATION}/runs`)).toEqual({ automationId: AUTOMATION });
    expect(pathLogFields(`/api/v1/hooks/${AUTOMATION}/whk_token`)).toEqual({ automationId: AUTOMATION });
    expect(pathLogFields('/api/v1/runs')).toEqual({});
    expect(pathLogFields(`/api/v1/runs/${RUN}x`)).toEqual({});
    expect(pathLogFields('/api/v1/runs/not-a-uuid')).toEqual({});
  });
});

describe('requestLogging', () => {
  function exchange(path: string, route?: string) {
    const response = Object.assign(new EventEmitter(), {
      statusCode: 200,
      headers: {} as Record<string, string>,
      setHeader(name: string, value: string) {
        this.headers[name] = value;
      },
    });
    const request = { method: 'GET', path, route: route ? { path: route } : undefined };
    return {
      request: request as unknown as Request,
      response: response as unknown as Response & typeof response,
    };
  }

  it('runs the request in a context with its id and run, answers the id, and logs the route pattern only', () => {
    const logged = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const { request, response } = exchange(
      `/api/v1/hooks/${AUTOMATION}/whk_secret_token`,
      '/api/v1/hooks/:automationId/:token',
    );
    let inside: ReturnType<typeof currentLogContext> | undefined;
    const next: NextFunction = () => {
      inside = currentLogContext();
    };
    requestLogging()(request, response, next);
    expect(inside).toEqual({ requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), automationId: AUTOMATION });
    expect(response.headers['x-request-id']).toBe(inside!.requestId);
    expect(currentRequestId()).toBeUndefined(); // outside the request
    response.statusCode = 202;
    response.emit('finish');
    expect(logged).toHaveBeenCalledTimes(1);
    const line = logged.mock.calls[0]![0] as Record<string, unknown>;
    expect(line).toMatchObject({
      msg: 'request completed',
      requestId: inside!.requestId,
      automationId: AUTOMATION,
      method: 'GET',
      route: '/api/v1/hooks/:automationId/:token',
      status: 202,
      durationMs: expect.any(Number),
    });
    expect(JSON.stringify(line)).not.toContain('whk_secret_token');
  });

  it('logs probes only at debug, and an unmatched path without the path', () => {
    const logged = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const debugged = vi.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const probe = exchange('/readyz', '/readyz');
    requestLogging()(probe.request, probe.response, () => undefined);
    probe.response.emit('finish');
    expect(debugged).toHaveBeenCalledTimes(1);
    const unknown = exchange('/api/v1/nothing/here');
    requestLogging()(unknown.request, unknown.response, () => undefined);
    unknown.response.statusCode = 404;
    unknown.response.emit('finish');
    expect(logged.mock.calls[0]![0]).toMatchObject({ route: null, status: 404 });
    expect(JSON.stringify(logged.mock.calls[0]![0])).not.toContain('nothing/here');
  });
});
