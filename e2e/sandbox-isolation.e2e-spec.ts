import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type ManagedProcess, type Stack, startStack } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';

// No script can take a worker down: attempts run in sandbox processes the worker can lose. A memory
// bomb among runs in flight ends only itself, classified; a sandbox process killed from outside ends
// its run once, classified, and the run is not redelivered; the same worker keeps serving throughout.
let stack: Stack;
let api: Api;
let worker: ManagedProcess;
let service: StandIn;
let slowId: string;

const LOCK_MS = 2000;

beforeAll(async () => {
  service = await startStandIn((_request, _body, response) => {
    const timer = setTimeout(() => json(response, 200, { done: true }), 1500);
    response.on('close', () => clearTimeout(timer));
  });
  stack = await startStack('sandbox_isolation', {
    redisDb: 14,
    worker: false,
    workerEnv: {
      ALLOW_PRIVATE_NETWORK: 'true',
      WORKER_CONCURRENCY: '8',
      WORKER_LOCK_DURATION_MS: String(LOCK_MS),
    },
  });
  api = apiClient(stack.apiUrl);
  worker = await stack.startWorker();
  slowId = await automation('slow-call', {
    source: `export default async function run(input, ctx) {
      const res = await ctx.fetch('${service.url}/work');
      return { n: input.n, done: (await res.json()).done };
    }`,
    manifest: { permissions: { hosts: [service.url.replace('http://', '')] } },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await service?.close();
});

async function automation(name: string, body: Record<string, unknown>): Promise<string> {
  const created = await api('POST', '/api/v1/automations', { name, ...body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function startRun(automationId: string, input: unknown = {}): Promise<string> {
  const { status, body } = await api('POST', `/api/v1/automations/${automationId}/runs`, { input });
  expect(status).toBe(202);
  return body.id as string;
}

async function eventTypes(runId: string): Promise<string[]> {
  const { body } = await api('GET', `/api/v1/runs/${runId}/events`);
  return (body.items as { type: string }[]).map((e) => e.type);
}

/** The worker's sandbox processes: in its process group (npm → node main.js → children). */
function sandboxProcesses(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '-g', String(worker.child.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('process/child.js'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

async function expectTrivialRunSucceeds(): Promise<void> {
  const id = await automation(`trivial-${Date.now()}`, {
    source: 'export default async function run(input) { return input.x + 1; }',
  });
  const run = await waitForRun(api, await startRun(id, { x: 41 }));
  expect(run.status).toBe('succeeded');
  expect(run.output).toBe(42);
}

describe('sandbox processes contain what a script does', () => {
  it('a memory bomb among 8 runs in flight ends only itself, classified; the 7 others finish normally', async () => {
    const bombId = await automation('memory-bomb', {
      source:
        'export default async function run() { const m = new Map(); for (let i = 0; ; i++) m.set(i, { i }); }',
      manifest: { limits: { memoryMb: 64 } },
    });
    const calm = await Promise.all(Array.from({ length: 7 }, (_, n) => startRun(slowId, { n })));
    await Promise.all(calm.map((id) => waitForRun(api, id, ['running'], 15_000)));
    const bomb = await startRun(bombId);

    const bombed = await waitForRun(api, bomb, undefined, 30_000);
    expect(bombed.status).toBe('action_needed');
    expect(bombed.error.limit).toBe('memory');
    expect(bombed.error.message).toMatch(/memory/);
    expect(bombed.attempts[0].classification.class).toBe('logic');
    const inbox = (await api('GET', `/api/v1/inbox?runId=${bomb}`)).body.items;
    expect(inbox).toHaveLength(1);

    const finished = await Promise.all(calm.map((id) => waitForRun(api, id)));
    expect(finished.map((run) => run.status)).toEqual(Array(7).fill('succeeded'));
    expect(finished.map((run) => run.output.n).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const run of finished) {
      expect(run.attempts).toHaveLength(1);
      expect(await eventTypes(run.id)).not.toContain('attempt.abandoned');
    }

    // The same worker process served all of it and serves on.
    expect(worker.child.exitCode).toBeNull();
    expect(worker.output()).not.toMatch(/exiting/i);
    await expectTrivialRunSucceeds();
  }, 90_000);

  it('a sandbox process SIGKILLed from outside ends its run once, classified, and it is not redelivered', async () => {
    const runId = await startRun(slowId, { n: 99 });
    await waitForRun(api, runId, ['running'], 15_000);
    const pids = sandboxProcesses();
    expect(pids.length).toBe(8);
    for (const pid of pids) process.kill(pid, 'SIGKILL');

    const run = await waitForRun(api, runId, undefined, 15_000);
    expect(run.status).toBe('action_needed');
    expect(run.error).toMatchObject({ code: 'SANDBOX_PROCESS_LOST', limit: 'memory' });
    expect(run.error.message).toMatch(/killed from outside/);
    // Past two lock periods a redelivered job would have started a second attempt by now.
    await new Promise((resolve) => setTimeout(resolve, LOCK_MS * 3));
    const after = (await api('GET', `/api/v1/runs/${runId}`)).body;
    expect(after.status).toBe('action_needed');
    expect(after.attempts).toHaveLength(1);
    const types = await eventTypes(runId);
    expect(types.filter((t) => t === 'run.action_needed')).toHaveLength(1);
    expect(types).not.toContain('attempt.abandoned');

    // The pool replaced what was killed, in the same worker.
    await expect.poll(() => sandboxProcesses().length, { timeout: 15_000 }).toBe(8);
    expect(worker.child.exitCode).toBeNull();
    await expectTrivialRunSucceeds();
  }, 90_000);
});
