import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { QueueNames, redisConnection, runJob } from '@mendflow/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadAll } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';

// k8s/components/keda scales the workers on the Redis keys where BullMQ keeps the runs waiting for a
// worker. This holds the ScaledObject to the code: its keys are the run queue's, under BullMQ's default
// prefix (Mendflow sets none), and a run job really lands in the sorted set counted there (each run job
// has a priority). Real Redis; the jobs go into a queue under a prefix of its own, removed at the end.
const redisUrl = `${(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/14`;
const connection = redisConnection(redisUrl);
const isolated = new Queue(QueueNames.runs, { connection, prefix: `mf-test-${randomUUID()}` });
const redis = new Redis(redisUrl);

interface Trigger {
  type: string;
  metadata: Record<string, string>;
}
const scaledObject = (
  loadAll(readFileSync(path.resolve(__dirname, '../k8s/components/keda/scaledobject.yaml'), 'utf8')) as {
    kind: string;
    spec: { triggers: Trigger[] };
  }[]
).find((doc) => doc.kind === 'ScaledObject')!;
const redisKeys = scaledObject.spec.triggers
  .filter((t) => t.type === 'redis')
  .map((t) => t.metadata.listName);

afterAll(async () => {
  await isolated.obliterate({ force: true });
  await isolated.close();
  redis.disconnect();
});

describe('the KEDA ScaledObject of the workers', () => {
  it("watches the run queue's prioritized set and wait list under BullMQ's default prefix", async () => {
    // Constructing a queue touches no key: this one, like the apps' queues, has no prefix of its own.
    const asTheAppsHaveIt = new Queue(QueueNames.runs, { connection });
    try {
      expect(asTheAppsHaveIt.toKey('wait')).toBe(`bull:${QueueNames.runs}:wait`);
      expect(redisKeys.sort()).toEqual(
        [asTheAppsHaveIt.toKey('prioritized'), asTheAppsHaveIt.toKey('wait')].sort(),
      );
    } finally {
      await asTheAppsHaveIt.close();
    }
  });

  it('counts every queued run job: they wait in the prioritized sorted set, whatever their priority', async () => {
    const job = (priority: number) =>
      runJob(
        { runId: randomUUID(), workspaceId: randomUUID(), automationId: randomUUID(), attempt: 1 },
        priority,
      );
    for (const priority of [1, 5, 10]) {
      const built = job(priority);
      await isolated.add(built.name, built.data, built.opts);
    }
    const prioritized = isolated.toKey('prioritized');
    expect(await redis.type(prioritized)).toBe('zset');
    expect(await redis.zcard(prioritized)).toBe(3);
    expect(await redis.llen(isolated.toKey('wait'))).toBe(0);
    // BullMQ's own "waiting" count leaves them out: a scaler on the wait list alone would see none.
    expect(await isolated.getJobCounts('prioritized', 'waiting')).toEqual({ prioritized: 3, waiting: 0 });
  });
});
