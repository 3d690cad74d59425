/**
 * The sandbox process pool: attempts run in child processes, a child that dies or wedges ends only
 * the attempts inside it, and the pool replaces it and keeps serving.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryHost } from '../memory-host';
import { request, RUN, startServer } from '../spec-helpers';
import type { AttemptResult, HostServices } from '../types';
import { ProcessSandbox, type ProcessSandboxOptions } from './process-sandbox';

const ROOT = path.resolve(__dirname, '../../../..');
const MISBEHAVING = path.join(__dirname, 'fixtures/misbehaving-child.cjs');

beforeAll(() => {
  // A child process runs the built entry point (plain Node cannot run these TypeScript sources).
  execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-b', 'libs/sandbox'], { cwd: ROOT });
}, 120_000);

const pools: ProcessSandbox[] = [];
async function pool(options: ProcessSandboxOptions = {}): Promise<ProcessSandbox> {
  const sandbox = new ProcessSandbox({ processes: 1, ...options });
  pools.push(sandbox);
  await sandbox.warm();
  return sandbox;
}
afterEach(async () => {
  delete process.env.MISBEHAVE;
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const TRIVIAL = 'export default async function run(input) { return { n: input.n + 1 }; }';

async function expectServing(sandbox: ProcessSandbox): Promise<void> {
  const result = await sandbox.runAttempt(request(TRIVIAL, { input: { n: 41 } }));
  expect(result.error).toBeUndefined();
  expect(result.output).toEqual({ n: 42 });
}

function slowHost(): HostServices & { release: () => void } {
  const host = createMemoryHost();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    ...host,
    kv: { ...host.kv, get: async (key) => (await gate, host.kv.get(key)) },
    release,
  };
}

describe('ProcessSandbox: attempts in sandbox processes', () => {
  it('tells the parent about each fetch the child made (HostServices.fetched, for tracing)', async () => {
    const upstream = await startServer((_req, res) => res.end('ok'));
    try {
      const sandbox = await pool({ allowPrivateNetwork: true });
      const seen: unknown[] = [];
      const host: HostServices = { ...createMemoryHost(), fetched: (observation) => seen.push(observation) };
      const result = await sandbox.runAttempt(
        request(
          `export default async function run(input, ctx) {
            return (await ctx.fetch('http://127.0.0.1:${upstream.port}/path?q=1')).status;
          }`,
          { host, hosts: [`127.0.0.1:${upstream.port}`] },
        ),
      );
      expect(result.output).toBe(200);
      // One-way message: it was posted before the result, and the channel keeps order.
      expect(seen).toEqual([
        expect.objectContaining({ method: 'GET', host: '127.0.0.1', port: upstream.port, status: 200 }),
      ]);
    } finally {
      await upstream.close();
    }
  });

  it('runs an attempt in a child process and serves its host calls from the parent', async () => {
    const sandbox = await pool();
    const host = createMemoryHost();
    await host.kv.set('cursor', 7);
    const result = await sandbox.runAttempt(
      request(
        `export default async function run(input, ctx) {
          const cursor = await ctx.kv.get('cursor');
          await ctx.kv.set('cursor', cursor + 1);
          const total = await ctx.step('sum', async () => input.items.reduce((a, b) => a + b, 0));
          const token = await ctx.secrets.get('TOKEN');
          ctx.log.info('token is ' + token);
          return { cursor, total, token };
        }`,
        { host, input: { items: [1, 2, 3] }, secrets: ['TOKEN'] },
      ),
    );
    // createMemoryHost has no secrets: the declared one is missing, which the script sees as an error.
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('SECRET_MISSING');
    expect(await host.kv.get('cursor')).toBe(8);
    expect(await host.steps.get('sum')).toEqual({ found: true, value: 6 });
    expect(result.recording.calls.map((c) => c.kind)).toEqual([
      'time',
      'random',
      'kv.get',
      'kv.set',
      'step',
      'secret',
    ]);
    await expectServing(sandbox);
  });

  it('carries a resume to the child and a waiting result back, without repeating side effects', async () => {
    const server = await startServer((_req, res) => res.end(JSON.stringify({ n: server.hits.length })));
    try {
      const sandbox = await pool({ allowPrivateNetwork: true });
      const host = createMemoryHost();
      let kvSets = 0;
      const countingHost: HostServices = {
        ...host,
        kv: { ...host.kv, set: (key, value) => (kvSets++, host.kv.set(key, value)) },
      };
      const source = `export default async function run(input, ctx) {
        const before = await (await ctx.fetch(input.base + '/before')).json();
        await ctx.kv.set('seen', before.n);
        const answer = await ctx.waitForApproval({ title: 'Continue?', caps: { maxFetches: 1 } });
        ctx.log.info('resumed');
        const after = await (await ctx.fetch(input.base + '/after')).json();
        return { answer, before: before.n, after: after.n };
      }`;
      const options = {
        host: countingHost,
        hosts: [`127.0.0.1:${server.port}`],
        input: { base: server.url },
      };
      const first = await sandbox.runAttempt(request(source, options));
      expect(first.status).toBe('waiting');
      expect(first.wait).toEqual({
        kind: 'approval',
        title: 'Continue?',
        timeoutMs: 86_400_000,
        caps: { maxFetches: 1 },
      });

      const answer = { approved: true, by: 'u1' };
      const resumed = await sandbox.runAttempt(
        request(source, { ...options, resume: { recording: first.recording, answer } }),
      );
      expect(resumed.error).toBeUndefined();
      expect(resumed.status).toBe('succeeded');
      expect(resumed.output).toEqual({ answer, before: 1, after: 2 });
      expect(server.hits).toEqual(['GET /before', 'GET /after']);
      expect(kvSets).toBe(1);
      expect(resumed.logs.map((l) => l.message)).toEqual(['resumed']);
      expect(resumed.recording.calls.map((c) => c.kind)).toEqual([
        'time',
        'random',
        'fetch',
        'kv.set',
        'wait',
        'fetch',
      ]);
      expect(resumed.recording.calls[4]).toMatchObject({ kind: 'wait', answer });
    } finally {
      await server.close();
    }
  });

  it('gives attempts of two automations with one source, in one process, each their own state', async () => {
    const sandbox = await pool();
    const source = `
      let counter = 0;
      globalThis.seen = (globalThis.seen ?? 0) + 1;
      export default async (input, ctx) => ({ counter: ++counter, seen: globalThis.seen, version: ctx.run.version });
    `;
    const outputs = [];
    for (const [automationId, version] of [
      ['auto-a', 1],
      ['auto-b', 1],
      ['auto-a', 2],
    ] as const) {
      const result = await sandbox.runAttempt(request(source, { run: { ...RUN, automationId, version } }));
      outputs.push(result.output);
    }
    expect(outputs).toEqual([
      { counter: 1, seen: 1, version: 1 },
      { counter: 1, seen: 1, version: 1 },
      { counter: 1, seen: 1, version: 2 },
    ]);
    // A new version's source is what runs, in the same process.
    const next = await sandbox.runAttempt(
      request(`export default async () => 'v3';`, { run: { ...RUN, version: 3 } }),
    );
    expect(next.output).toBe('v3');
  });

  it("a host service that throws reaches the parent's onHostError, and the script sees HOST_SERVICE_ERROR", async () => {
    const failures: string[] = [];
    const sandbox = await pool({
      onHostError: (error, { op }) => failures.push(`${op}: ${(error as Error).message}`),
    });
    const host = createMemoryHost();
    host.kv.get = () => Promise.reject(new Error('database down'));
    const result = await sandbox.runAttempt(
      request(
        'export default async function run(input, ctx) { try { await ctx.kv.get("k"); } catch (e) { return e.code; } }',
        { host },
      ),
    );
    expect(result.output).toBe('HOST_SERVICE_ERROR');
    expect(failures).toEqual(['kv.get: database down']);
  });

  it("serves an attempt's host calls in the async context it was handed over in", async () => {
    // What the worker's log context (run id, attempt) and a tracing context rely on: the calls come
    // in on the IPC listener, outside the attempt's context, and must be served inside it again.
    const storage = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const failures: (string | undefined)[] = [];
    const sandbox = await pool({ onHostError: () => failures.push(storage.getStore()) });
    const host = (label: string): HostServices => {
      const memory = createMemoryHost();
      return {
        ...memory,
        kv: {
          ...memory.kv,
          get: async (key) => (seen.push(`${label}:${storage.getStore()}`), memory.kv.get(key)),
          set: () => Promise.reject(new Error('refused')),
        },
      };
    };
    const source = `export default async function run(input, ctx) {
      await ctx.kv.get('a');
      try { await ctx.kv.set('b', 1); } catch {}
      await ctx.kv.get('c');
    }`;
    await Promise.all([
      storage.run('run-1', () => sandbox.runAttempt(request(source, { host: host('one') }))),
      storage.run('run-2', () => sandbox.runAttempt(request(source, { host: host('two') }))),
    ]);
    expect(seen.sort()).toEqual(['one:run-1', 'one:run-1', 'two:run-2', 'two:run-2']);
    expect(failures.sort()).toEqual(['run-1', 'run-2']);
  });

  it('reports each line a child writes to stderr to onStderrLine', async () => {
    process.env.MISBEHAVE = 'exit-at-start';
    const lines: string[] = [];
    const sandbox = new ProcessSandbox({
      processes: 1,
      childScript: MISBEHAVING,
      onStderrLine: (line) => lines.push(line),
    });
    pools.push(sandbox);
    await expect.poll(() => lines, { timeout: 5000 }).toContain('cannot load the sandbox (test)');
  });

  it('a cancel reaches the attempt in its child', async () => {
    const sandbox = await pool();
    const host = slowHost();
    const controller = new AbortController();
    const running = sandbox.runAttempt(
      request('export default async function run(input, ctx) { return ctx.kv.get("k"); }', {
        host,
        signal: controller.signal,
      }),
    );
    setTimeout(() => controller.abort(), 50);
    const result = await running;
    expect(result.error).toMatchObject({ code: 'CANCELLED', limit: 'cancelled' });
    host.release();
    await expectServing(sandbox);
  });

  it('a child killed from outside ends its attempt with an error saying so, and is replaced', async () => {
    const sandbox = await pool();
    const host = slowHost();
    const running = sandbox.runAttempt(
      request('export default async function run(input, ctx) { return ctx.kv.get("k"); }', { host }),
    );
    await expect.poll(() => sandbox.health().busy).toBe(1);
    const [victim] = sandbox.pids;
    process.kill(victim as number, 'SIGKILL');
    const result: AttemptResult = await running;
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'SANDBOX_PROCESS_LOST', limit: 'memory' });
    expect(result.error?.message).toMatch(/killed from outside \(SIGKILL/);
    host.release();
    await expect.poll(() => sandbox.pids.length).toBe(1);
    expect(sandbox.pids).not.toContain(victim);
    await expectServing(sandbox);
  });

  it('one attempt crashing its process leaves the attempts in the other processes untouched', async () => {
    const sandbox = await pool({ processes: 4 });
    const host = slowHost();
    const calm = Array.from({ length: 3 }, (_, i) =>
      sandbox.runAttempt(
        request(`export default async function run(input, ctx) { await ctx.kv.get("k"); return ${i}; }`, {
          host,
        }),
      ),
    );
    const bomb = sandbox.runAttempt(
      request(
        'export default async function run() { const m = new Map(); for (let i = 0; ; i++) m.set(i, { i }); }',
        {
          limits: { memoryMb: 64 },
        },
      ),
    );
    const bombed = await bomb;
    expect(bombed.status).toBe('failed');
    expect(bombed.error?.limit).toBe('memory');
    host.release();
    const results = await Promise.all(calm);
    expect(results.map((r) => r.output)).toEqual([0, 1, 2]);
    await expectServing(sandbox);
    // Filling 64 MB is CPU work: on a busy 2-core machine it took past vitest's 5 s default.
  }, 30_000);

  it('serves attempts beyond its size in turn, and retires a process after maxAttemptsPerProcess', async () => {
    const sandbox = await pool({ processes: 2, maxAttemptsPerProcess: 3 });
    const first = sandbox.pids;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, n) => sandbox.runAttempt(request(TRIVIAL, { input: { n } }))),
    );
    expect(results.map((r) => r.output)).toEqual(Array.from({ length: 10 }, (_, n) => ({ n: n + 1 })));
    await expect.poll(() => sandbox.pids.length).toBe(2);
    expect(sandbox.pids.some((pid) => first.includes(pid))).toBe(false);
  });

  it('close() ends running attempts as SANDBOX_CLOSED and refuses new ones', async () => {
    const sandbox = new ProcessSandbox({ processes: 1 });
    await sandbox.warm();
    const host = slowHost();
    const running = sandbox.runAttempt(
      request('export default async function run(input, ctx) { return ctx.kv.get("k"); }', { host }),
    );
    await expect.poll(() => sandbox.health().busy).toBe(1);
    await sandbox.close();
    expect((await running).error).toMatchObject({ code: 'SANDBOX_CLOSED', limit: 'cancelled' });
    expect((await sandbox.runAttempt(request(TRIVIAL))).error?.code).toBe('SANDBOX_CLOSED');
    expect(sandbox.health().ok).toBe(false);
  });
});

describe('ProcessSandbox: watchdogs no script can defeat', () => {
  it('kills a child that does not end an attempt by its time limit plus the grace', async () => {
    process.env.MISBEHAVE = 'ignore';
    const sandbox = await pool({ childScript: MISBEHAVING, killGraceMs: 200 });
    const started = Date.now();
    const result = await sandbox.runAttempt(request(TRIVIAL, { limits: { timeoutMs: 300 } }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(result.error).toMatchObject({ code: 'SANDBOX_PROCESS_LOST', limit: 'cpu' });
    expect(result.error?.message).toMatch(/did not stop at its time limit of 300 ms/);
    await expect.poll(() => sandbox.pids.length).toBe(1);
  });

  it('kills a child whose event loop stops answering the heartbeat', async () => {
    process.env.MISBEHAVE = 'block';
    const sandbox = await pool({ childScript: MISBEHAVING, heartbeatMs: 50, stallMs: 300 });
    const result = await sandbox.runAttempt(request(TRIVIAL, { limits: { timeoutMs: 60_000 } }));
    expect(result.error).toMatchObject({ code: 'SANDBOX_PROCESS_LOST', limit: 'cpu' });
    expect(result.error?.message).toMatch(/stopped responding/);
  });

  it('a child reporting a catastrophic isolated-vm error is killed, its attempt ends as a memory failure', async () => {
    process.env.MISBEHAVE = 'fatal';
    const sandbox = await pool({ childScript: MISBEHAVING });
    const result = await sandbox.runAttempt(request(TRIVIAL));
    expect(result.error).toMatchObject({ code: 'SANDBOX_PROCESS_LOST', limit: 'memory' });
    expect(result.error?.message).toMatch(/Catastrophic out-of-memory error/);
  });

  it('reports itself unable to serve when its processes keep failing to start', async () => {
    process.env.MISBEHAVE = 'exit-at-start';
    const sandbox = new ProcessSandbox({ processes: 1, childScript: MISBEHAVING });
    pools.push(sandbox);
    await expect.poll(() => sandbox.health().ok, { timeout: 5000 }).toBe(false);
    expect(sandbox.health().reason).toMatch(/keep failing to start.*cannot load the sandbox/);
  });
});

afterAll(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
