import { ProcessLifecycle } from '@mendflow/common';
import type { Db } from '@mendflow/db';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerConfig } from '../config/worker-config';
import { WorkerHealthServer } from './health-server';
import type { SandboxHealthSource } from './sandbox-health';
import { WorkerMetrics } from './worker-metrics';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined, fatal: () => undefined };

const upDb = { $queryRaw: async () => [{ '?column?': 1 }] } as unknown as Db;
const downDb = {
  $queryRaw: async () => Promise.reject(new Error("Can't reach database server at 127.0.0.1:5432")),
} as unknown as Db;

function runningLifecycle() {
  const lifecycle = new ProcessLifecycle({
    drainGraceMs: 1000,
    fatalGraceMs: 100,
    exit: () => undefined,
    logger: quiet,
  });
  lifecycle.attach(() => new Promise<void>(() => undefined));
  return lifecycle;
}

const servers: WorkerHealthServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.onApplicationShutdown()));
});

/** A health server on a free port, with stand-ins for what it asks; returns a GET for its paths. */
async function serve(
  options: {
    db?: Db;
    sandbox?: SandboxHealthSource;
    lifecycle?: ProcessLifecycle;
    stallMs?: number;
  } = {},
) {
  const config = {
    WORKER_HEALTH_PORT: 0,
    WORKER_EVENT_LOOP_STALL_MS: options.stallMs ?? 2000,
  } as WorkerConfig;
  const server = new WorkerHealthServer(
    config,
    options.db ?? upDb,
    new WorkerMetrics(),
    options.sandbox ?? serving,
    options.lifecycle ?? runningLifecycle(),
  );
  servers.push(server);
  const port = await server.listen(0);
  return async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    const text = await response.text();
    return {
      status: response.status,
      body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  };
}

const serving: SandboxHealthSource = {
  health: () => ({ ok: true, processes: 8, busy: 0, waiting: 0 }),
};
const wedged: SandboxHealthSource = {
  health: () => ({ ok: false, reason: 'no sandbox process answers', processes: 8, busy: 8, waiting: 3 }),
};

describe('WorkerHealthServer', () => {
  it('is alive and ready when the loop runs, PostgreSQL answers and the sandbox pool serves', async () => {
    const get = await serve();
    expect(await get('/healthz')).toEqual({
      status: 200,
      body: {
        status: 'ok',
        checks: {
          eventLoop: { ok: true, maxDelayMs: expect.any(Number), thresholdMs: 2000 },
          sandbox: { ok: true, processes: 8, busy: 0, waiting: 0 },
        },
      },
    });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({
      lifecycle: { ok: true, state: 'running' },
      postgres: { ok: true },
      sandbox: { ok: true, processes: 8, busy: 0, waiting: 0 },
    });
  });

  it('reports a stalled event loop on /healthz with 503 and how long it stalled', async () => {
    const get = await serve({ stallMs: 150 });
    // The delay histogram measures from its first tick on.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const until = Date.now() + 400;
    while (Date.now() < until) {
      // Hold the event loop as a wedged worker would.
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    const { status, body } = await get('/healthz');
    expect(status).toBe(503);
    expect(body.status).toBe('unavailable');
    expect(body.reason).toMatch(/^eventLoop: the event loop stalled for \d+ ms \(threshold 150 ms\)$/);
    expect(body.checks.eventLoop.ok).toBe(false);
    expect(body.checks.eventLoop.maxDelayMs).toBeGreaterThanOrEqual(300);
  });

  it('stays alive while PostgreSQL is down (a restart would not help), but is not ready', async () => {
    const get = await serve({ db: downDb });
    expect((await get('/healthz')).status).toBe(200);
    const { status, body } = await get('/readyz');
    expect(status).toBe(503);
    expect(body.reason).toBe('postgres: PostgreSQL does not answer');
    expect(body.checks.lifecycle.ok).toBe(true);
  });

  it('is neither alive nor ready when the sandbox pool cannot serve, and says what the pool said', async () => {
    const get = await serve({ sandbox: wedged });
    for (const path of ['/healthz', '/readyz']) {
      const { status, body } = await get(path);
      expect(status).toBe(503);
      expect(body.reason).toBe('sandbox: the sandbox pool cannot serve: no sandbox process answers');
      expect(body.checks.sandbox).toMatchObject({ ok: false, processes: 8, busy: 8 });
    }
  });

  it('counts a sandbox whose health report throws as not serving', async () => {
    const get = await serve({
      sandbox: {
        health: () => {
          throw new Error('pool closed');
        },
      },
    });
    const { status, body } = await get('/healthz');
    expect(status).toBe(503);
    expect(body.reason).toBe('sandbox: the sandbox could not report its health: pool closed');
  });

  it('passes a serving pool report through', async () => {
    const get = await serve({ sandbox: { health: () => ({ ok: true, processes: 8, busy: 3, waiting: 0 }) } });
    const { status, body } = await get('/readyz');
    expect(status).toBe(200);
    expect(body.checks.sandbox).toEqual({ ok: true, processes: 8, busy: 3, waiting: 0 });
  });

  it('is not ready while starting or draining, though alive', async () => {
    const lifecycle = new ProcessLifecycle({
      drainGraceMs: 1000,
      fatalGraceMs: 100,
      exit: () => undefined,
      setTimer: () => undefined,
      logger: quiet,
    });
    const get = await serve({ lifecycle });
    let ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.reason).toBe('lifecycle: the worker is still starting');
    lifecycle.attach(() => new Promise<void>(() => undefined));
    expect((await get('/readyz')).status).toBe(200);
    lifecycle.stop('SIGTERM');
    ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      reason: 'lifecycle: the worker is shutting down',
      checks: { lifecycle: { ok: false, state: 'stopping' } },
    });
    expect((await get('/healthz')).status).toBe(200);
  });

  it('serves /metrics and answers 404 elsewhere', async () => {
    const get = await serve();
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('mendflow_run_jobs_deferred_total');
    expect((await get('/nope')).status).toBe(404);
  });
});
