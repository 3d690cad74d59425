import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type Stack, startStack } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';

// The worker's probes and its bounded shutdown, through the real processes: ready once booted, not
// ready (but alive) while it drains, and out within its grace even when an attempt would keep it.
let stack: Stack;
let api: Api;
let service: StandIn;
let automationId: string;

beforeAll(async () => {
  // GET /work?ms=N answers after N ms; /once?ms=N too, but only the first time (then at once).
  service = await startStandIn((request, _body, response) => {
    const url = new URL(request.url ?? '/', service.url);
    const ms =
      url.pathname === '/once' && service.hits.get('/once')! > 1 ? 0 : Number(url.searchParams.get('ms'));
    const timer = setTimeout(() => json(response, 200, { done: true }), ms);
    response.on('close', () => clearTimeout(timer));
  });
  stack = await startStack('worker_lifecycle', {
    redisDb: 13,
    worker: false,
    workerEnv: { ALLOW_PRIVATE_NETWORK: 'true', WORKER_LOCK_DURATION_MS: '2000' },
  });
  api = apiClient(stack.apiUrl);
  const created = await api('POST', '/api/v1/automations', {
    name: 'slow-call',
    source: `export default async function run(input, ctx) {
      const res = await ctx.fetch('${service.url}' + input.path);
      return (await res.json()).done;
    }`,
    manifest: { permissions: { hosts: [service.url.replace('http://', '')] } },
  });
  expect(created.status).toBe(201);
  automationId = created.body.id;
});

afterAll(async () => {
  await stack?.stop();
  await service?.close();
});

async function startRun(path: string) {
  const { body } = await api('POST', `/api/v1/automations/${automationId}/runs`, { input: { path } });
  await waitForRun(api, body.id, ['running'], 15_000);
  return body.id as string;
}

const probe = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
};

describe('worker lifecycle', () => {
  it('is ready once booted; while a SIGTERM drains it, it is alive but not ready, then it exits', async () => {
    const worker = await stack.startWorker();
    const ready = await probe(`${worker.healthUrl}/readyz`);
    expect(ready).toMatchObject({
      status: 200,
      body: { status: 'ok', checks: { lifecycle: { state: 'running' } } },
    });
    const runId = await startRun('/work?ms=1500');

    const stopping = worker.stop('SIGTERM', 15_000);
    let draining: { status: number; body: any } | undefined;
    for (let tries = 0; tries < 40 && draining?.status !== 503; tries++) {
      draining = await probe(`${worker.healthUrl}/readyz`).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(draining).toMatchObject({
      status: 503,
      body: {
        reason: 'lifecycle: the worker is shutting down',
        checks: { lifecycle: { state: 'stopping' } },
      },
    });
    expect((await probe(`${worker.healthUrl}/healthz`)).status).toBe(200);
    await stopping;

    const run = (await api('GET', `/api/v1/runs/${runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(run.attempts).toHaveLength(1);
  });

  it('exits when WORKER_SHUTDOWN_GRACE_MS runs out, though an attempt is still under way; another worker finishes the run', async () => {
    const worker = await stack.startWorker({ WORKER_SHUTDOWN_GRACE_MS: '1000' });
    // Quick the second time: RunProcessor sets the 2 s lock after BullMQ's lock manager was built with
    // the 30 s default, which renews on that default's schedule, so an attempt outlasting a short
    // WORKER_LOCK_DURATION_MS is redelivered (a known issue, not what this test is about).
    const runId = await startRun('/once?ms=8000');
    const stopping = Date.now();
    await worker.stop('SIGTERM', 15_000);
    const took = Date.now() - stopping;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5000);
    expect(worker.output()).toMatch(/shutdown did not finish within 1000 ms; exiting anyway/);

    await stack.startWorker();
    const run = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed'], 40_000);
    expect(run.status).toBe('succeeded');
    expect(run.attempts.map((a: { status: string }) => a.status)).toEqual(['abandoned', 'succeeded']);
  });
});
