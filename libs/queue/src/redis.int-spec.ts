/**
 * A producer's queue against a Redis of this test's own (started here, on a free port, and stopped
 * mid-test: never the shared one): while Redis is down an add() fails within a bound instead of
 * waiting for it, and once Redis is back the same queue adds again by itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { RUN_PRIORITY } from '@mendflow/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { JobQueues } from './catalog';
import { isRedisUnavailable, producerConnection } from './redis';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const pong = await probe.ping().catch(() => undefined);
    probe.disconnect();
    if (pong === 'PONG') return child;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

let redis: ChildProcess | undefined;
let queue: Queue | undefined;

afterAll(async () => {
  await queue?.close().catch(() => undefined);
  if (redis) await stopRedis(redis);
});

describe('a producer queue when Redis goes away', () => {
  it('fails an add() fast while Redis is down, and adds again once it is back', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    queue = new Queue('producer-bound', { connection: producerConnection(`redis://127.0.0.1:${port}`) });
    queue.on('error', () => undefined); // the outage is what this test is about
    await queue.add('before', {});

    await stopRedis(redis);
    const started = Date.now();
    const outcome = await queue.add('during', {}).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(Error);
    expect(isRedisUnavailable(outcome)).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);

    redis = await startRedis(port);
    const deadline = Date.now() + 15_000;
    let added: unknown;
    while (!added && Date.now() < deadline) {
      added = await queue.add('after', {}).catch(() => undefined);
      if (!added) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(added).toBeTruthy();
    // Redis came back empty (nothing kept on disk): only the job added after it is there.
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  }, 30_000);

  it('bounds an enqueue on a queue whose Redis was down from the start (never ready)', async () => {
    const port = await freePort();
    const never = new Queue('producer-never-ready', {
      connection: producerConnection(`redis://127.0.0.1:${port}`),
    });
    never.on('error', () => undefined);
    try {
      const jobs = new JobQueues({ runs: never }, { timeoutMs: 500 });
      const started = Date.now();
      const outcome = await jobs
        .enqueue(
          'run.attempt',
          {
            runId: '00000000-0000-4000-8000-000000000001',
            workspaceId: '00000000-0000-4000-8000-000000000002',
            automationId: '00000000-0000-4000-8000-000000000003',
            attempt: 1,
          },
          { priority: RUN_PRIORITY.default },
        )
        .catch((error: unknown) => error);
      expect(outcome).toMatchObject({ name: 'EnqueueTimeoutError' });
      expect(isRedisUnavailable(outcome)).toBe(true);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      // Not awaited: closing waits for the connection to be ready first, which it never is.
      void never.disconnect().catch(() => undefined);
    }
  }, 10_000);
});
