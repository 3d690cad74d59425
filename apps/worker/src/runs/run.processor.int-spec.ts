import { randomUUID } from 'node:crypto';
import { redisConnection, runJob, type RunJobPayload } from '@mendflow/queue';
import { Queue, Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkerConfig } from '../config/worker-config';
import { WorkerMetrics } from '../health/worker-metrics';
import type { RunExecutor } from './run-executor.service';
import { RunProcessor } from './run.processor';
import type { RunEngine } from '@mendflow/engine';

// The processor's fairness against real BullMQ in Redis: a queue of its own (Redis db 13 is shared
// with an e2e spec, so nothing here flushes it), a Worker around the real RunProcessor, and an executor
// stand-in that only records what ran when.
const connection = redisConnection(
  `${(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/13`,
);
const queueName = `runs_fairness_${randomUUID()}`;
const queue = new Queue(queueName, { connection });
let worker: Worker | undefined;

afterAll(async () => {
  await worker?.close();
  await queue.obliterate({ force: true });
  await queue.close();
});

const workspaceId = randomUUID();
const A = randomUUID();
const B = randomUUID();
const FLOOD = 12;
const SLOW_MS = 300;

describe('RunProcessor fairness (BullMQ in Redis)', () => {
  it("keeps a slot free of one automation's flood: the other automation's run starts before the flood drains", async () => {
    const running = new Map<string, number>();
    let mostOfA = 0;
    const started: RunJobPayload[] = [];
    const finished: RunJobPayload[] = [];
    let finishedOfAWhenBStarted = -1;
    const executor = {
      async execute(job: RunJobPayload) {
        started.push(job);
        running.set(job.automationId!, (running.get(job.automationId!) ?? 0) + 1);
        mostOfA = Math.max(mostOfA, running.get(A) ?? 0);
        if (job.automationId === B) finishedOfAWhenBStarted = finished.length;
        await new Promise((resolve) => setTimeout(resolve, job.automationId === A ? SLOW_MS : 10));
        running.set(job.automationId!, running.get(job.automationId!)! - 1);
        finished.push(job);
      },
    } as unknown as RunExecutor;
    const metrics = new WorkerMetrics();
    const config = { WORKER_CONCURRENCY: 4, WORKER_AUTOMATION_SHARE: 0.5 } as WorkerConfig; // 2 slots each
    const processor = new RunProcessor(executor, config, metrics, {
      refill: async () => 0,
    } as unknown as RunEngine);

    const flood = Array.from({ length: FLOOD }, () =>
      runJob({ runId: randomUUID(), workspaceId, automationId: A, attempt: 1 }, 5),
    );
    const other = runJob({ runId: randomUUID(), workspaceId, automationId: B, attempt: 1 }, 5);
    await queue.addBulk([...flood, other].map((job) => ({ name: job.name, data: job.data, opts: job.opts })));

    let failures = 0;
    worker = new Worker(queueName, (job, token) => processor.process(job, token), {
      connection,
      concurrency: 4,
    });
    worker.on('failed', () => failures++);

    const deadline = Date.now() + 25_000;
    while (finished.length < FLOOD + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    // B did not wait for A's flood, and A never held more than its share.
    expect(finishedOfAWhenBStarted).toBeGreaterThanOrEqual(0);
    expect(finishedOfAWhenBStarted).toBeLessThan(FLOOD / 2);
    expect(mostOfA).toBe(2);
    // Every job ran exactly once; the deferred ones were put back, never failed.
    expect(started.map((job) => job.runId).sort()).toEqual(
      [...flood, other].map((job) => job.data.runId).sort(),
    );
    expect((await metrics.deferredJobs.get()).values[0]?.value).toBeGreaterThan(0);
    expect(failures).toBe(0);
    const counts = await queue.getJobCounts('completed', 'failed', 'delayed', 'wait', 'active');
    expect(counts).toEqual({ completed: FLOOD + 1, failed: 0, delayed: 0, wait: 0, active: 0 });
    const jobs = await queue.getJobs(['completed']);
    expect(jobs.every((job) => job.attemptsMade === 1)).toBe(true);
  });
});
