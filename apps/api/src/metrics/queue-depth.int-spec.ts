import { JobQueues, QueueNames, redisConnection } from '@mendflow/queue';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedis } from '../../../../libs/queue/src/testing/test-redis';
import { readQueueDepth } from './queue-depth';

const { redisUrl, prefix } = testRedis(9, 'queue-depth');
let runs: Queue;
let repairs: Queue;

beforeAll(() => {
  runs = new Queue(QueueNames.runs, { connection: redisConnection(redisUrl), prefix });
  repairs = new Queue(QueueNames.repairs, { connection: redisConnection(redisUrl), prefix });
});
afterAll(async () => {
  for (const queue of [runs, repairs]) {
    await queue?.obliterate({ force: true });
    await queue?.close();
  }
});

const run = (n: number) => ({
  runId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  workspaceId: '00000000-0000-4000-8000-000000000001',
  automationId: '00000000-0000-4000-8000-000000000002',
  attempt: 1,
});

/** Job timestamps are BullMQ's Date.now(): waits (on the clock, not on work) until it passes `at`. */
async function clockPast(at: number): Promise<void> {
  while (Date.now() <= at) await new Promise((resolve) => setTimeout(resolve, at - Date.now() + 1));
}

describe('queue depth (real BullMQ queues on Redis)', () => {
  it('is empty and ageless for a queue that never had a job', async () => {
    expect(await readQueueDepth('repairs', repairs)).toEqual({
      queue: 'repairs',
      counts: { waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 0 },
      oldestWaitingAgeSeconds: 0,
    });
  });

  it('counts run jobs by state and finds the oldest ready one behind higher priorities', async () => {
    const jobs = new JobQueues({ runs });
    // The oldest job has the lowest priority, so BullMQ serves it last: it is not the first in line.
    await jobs.enqueue('run.attempt', run(1), { priority: 1 });
    const oldest = (await runs.getJob(`run_${run(1).runId}_1`))!.timestamp;
    await clockPast(oldest + 20); // the later jobs are measurably younger
    await jobs.enqueue('run.attempt', run(2), { priority: 9 });
    await jobs.enqueue('run.attempt', run(3), { priority: 9 });
    // A retry due in an hour is delayed, not waiting: it counts there and adds no age.
    await jobs.enqueue('run.attempt', run(4), { priority: 10, delayMs: 3_600_000 });

    const now = oldest + 42_000;
    expect(await readQueueDepth('runs', runs, now)).toEqual({
      queue: 'runs',
      counts: { waiting: 0, prioritized: 3, active: 0, delayed: 1, failed: 0 },
      oldestWaitingAgeSeconds: 42,
    });
  });

  it('takes the oldest of the jobs without a priority from the tail of the wait list', async () => {
    await repairs.add('repair.propose', { n: 1 }, { jobId: 'first' });
    const first = (await repairs.getJob('first'))!.timestamp;
    await clockPast(first + 20);
    await repairs.add('repair.propose', { n: 2 }, { jobId: 'second' });
    const depth = await readQueueDepth('repairs', repairs, first + 5000);
    expect(depth.counts.waiting).toBe(2);
    expect(depth.oldestWaitingAgeSeconds).toBe(5);
  });
});
