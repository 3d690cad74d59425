import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type Stack, startStack } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';

// Nothing a user submitted is lost when a worker stops: a worker told to stop finishes what it runs;
// a worker that dies leaves its run to another worker, which starts a new attempt.
let stack: Stack;
let api: Api;
let service: StandIn;
let automationId: string;

beforeAll(async () => {
  service = await startStandIn((_request, _body, response) => {
    const timer = setTimeout(() => json(response, 200, { done: true }), 1500);
    response.on('close', () => clearTimeout(timer));
  });
  stack = await startStack('durability', {
    redisDb: 8,
    worker: false,
    workerEnv: { ALLOW_PRIVATE_NETWORK: 'true', WORKER_LOCK_DURATION_MS: '2000' },
  });
  api = apiClient(stack.apiUrl);
  const created = await api('POST', '/api/v1/automations', {
    name: 'slow-call',
    source: `export default async function run(input, ctx) {
      const res = await ctx.fetch('${service.url}/work');
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

async function startRun() {
  const { body } = await api('POST', `/api/v1/automations/${automationId}/runs`, {});
  await waitForRun(api, body.id, ['running'], 15_000);
  return body.id as string;
}

describe('durability when workers stop', () => {
  it('a worker told to stop (SIGTERM) finishes the attempt it is running, then exits', async () => {
    const worker = await stack.startWorker();
    const runId = await startRun();
    const stopping = Date.now();
    await worker.stop('SIGTERM', 10_000);
    // It exited by itself, after the attempt (about 1.5 s), not when the grace period ran out.
    expect(Date.now() - stopping).toBeLessThan(9_000);
    expect(worker.output()).not.toMatch(/catastrophic/);
    const run = (await api('GET', `/api/v1/runs/${runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(run.attempts).toHaveLength(1);
  });

  it('a run whose worker is killed mid-attempt is picked up by another worker and succeeds', async () => {
    const doomed = await stack.startWorker();
    const runId = await startRun();
    await doomed.stop('SIGKILL');
    await stack.startWorker();
    const run = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed'], 30_000);
    expect(run.status).toBe('succeeded');
    expect(run.output).toBe(true);
    expect(run.attempts.map((a: { status: string }) => a.status)).toEqual(['abandoned', 'succeeded']);
    const types = (await api('GET', `/api/v1/runs/${runId}/events`)).body.items.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toEqual(['run.queued', 'run.running', 'attempt.abandoned', 'run.running', 'run.succeeded']);
  });
});
