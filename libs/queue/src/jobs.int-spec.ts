import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { addJob, runJob } from './jobs';
import { redisConnection } from './redis';

// Real Redis (BullMQ), in a queue of its own under a prefix of its own, removed at the end.
const connection = redisConnection(
  `${(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/14`,
);
const prefix = `mf-test-${randomUUID()}`;
const queue = new Queue('runs', { connection, prefix });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
});

describe('addJob (BullMQ in Redis)', () => {
  it('re-adds a job whose finished predecessor still holds its id, and leaves a pending one alone', async () => {
    const job = runJob(
      {
        runId: randomUUID(),
        workspaceId: randomUUID(),
        automationId: randomUUID(),
        attempt: 1,
      },
      5,
    );
    await addJob(queue, job);
    const worker = new Worker('runs', async () => 'done', { connection, prefix });
    await expect
      .poll(async () => (await queue.getJob(job.opts.jobId))?.getState(), { timeout: 10_000 })
      .toBe('completed');
    await worker.close();
    // A plain add under the same id is ignored while the completed job is kept...
    await queue.add(job.name, job.data, job.opts);
    expect(await (await queue.getJob(job.opts.jobId))?.getState()).toBe('completed');
    // ...addJob replaces it with a new, waiting one.
    await addJob(queue, job);
    expect(await (await queue.getJob(job.opts.jobId))?.getState()).toBe('prioritized'); // every run job has a priority
    // And a job still waiting is not touched (no duplicate, same job).
    const before = await queue.getJob(job.opts.jobId);
    await addJob(queue, job);
    const after = await queue.getJob(job.opts.jobId);
    expect(after?.timestamp).toBe(before?.timestamp);
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(1);
  });
});
