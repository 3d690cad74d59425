import { describe, expect, it } from 'vitest';
import { assertHandlers, JOB_CATALOG, jobsOfQueue } from './catalog';
import { QueueNames } from './jobs';

describe('the job catalog', () => {
  it('places every job on one queue', () => {
    expect(jobsOfQueue(QueueNames.runs)).toEqual(['run.attempt']);
    expect(jobsOfQueue(QueueNames.repairs)).toEqual(['repair.propose']);
    expect(jobsOfQueue(QueueNames.maintenance).sort()).toEqual([
      'retention.prune',
      'run.wake',
      'runs.reconcile',
      'schedule.tick',
    ]);
    expect(jobsOfQueue(QueueNames.notifications).sort()).toEqual([
      'notification.deliver',
      'notification.dispatch',
    ]);
  });

  it('builds notification jobs with deterministic ids, and deliveries with backoff from the given base', () => {
    const subjectId = '00000000-0000-4000-8000-000000000004';
    const workspaceId = '00000000-0000-4000-8000-000000000002';
    const dispatch = JOB_CATALOG['notification.dispatch'].build(
      { workspaceId, topic: 'inbox.opened', subjectId },
      {},
    );
    expect(dispatch.opts.jobId).toBe(`notify_inbox.opened_${subjectId}`);
    const deliver = JOB_CATALOG['notification.deliver'].build(
      { workspaceId, deliveryId: subjectId },
      { retryBaseMs: 50 },
    );
    expect(deliver.opts).toMatchObject({
      jobId: `delivery_${subjectId}`,
      attempts: 6,
      backoff: { type: 'exponential', delay: 50 },
    });
    expect(() =>
      JOB_CATALOG['notification.dispatch'].build({ workspaceId, topic: 'run.nope' as never, subjectId }, {}),
    ).toThrow();
  });

  it('builds a run job with its id, priority and delay, and refuses one without a priority', () => {
    const payload = {
      runId: '00000000-0000-4000-8000-000000000001',
      workspaceId: '00000000-0000-4000-8000-000000000002',
      automationId: '00000000-0000-4000-8000-000000000003',
      attempt: 2,
    };
    const job = JOB_CATALOG['run.attempt'].build(payload, { priority: 10, delayMs: 1500 });
    expect(job.opts).toMatchObject({ jobId: `run_${payload.runId}_2`, priority: 1, delay: 1500 });
    expect(() => JOB_CATALOG['run.attempt'].build(payload, {})).toThrow(/priority/);
  });

  it('refuses to build a schedule tick: only job schedulers add them', () => {
    expect(() =>
      JOB_CATALOG['schedule.tick'].build(
        {
          triggerId: '00000000-0000-4000-8000-000000000001',
          workspaceId: '00000000-0000-4000-8000-000000000002',
          automationId: '00000000-0000-4000-8000-000000000003',
        },
        {},
      ),
    ).toThrow(/job schedulers/);
  });

  it('validates payloads: a malformed wake-up is refused before it reaches Redis', () => {
    expect(() => JOB_CATALOG['run.wake'].build({ runId: 'x', workspaceId: 'y', attempt: 0 }, {})).toThrow();
  });
});

describe('assertHandlers', () => {
  const queues = [QueueNames.runs, QueueNames.repairs, QueueNames.maintenance];

  it('accepts exactly one handler per job of the consumed queues', () => {
    expect(() =>
      assertHandlers(queues, [
        ['run.attempt'],
        ['repair.propose'],
        ['runs.reconcile', 'retention.prune', 'run.wake', 'schedule.tick'],
      ]),
    ).not.toThrow();
  });

  it('refuses a job without a handler, a job with two, and a handler for no job, naming each', () => {
    expect(() => assertHandlers(queues, [['run.attempt'], ['repair.propose'], ['runs.reconcile']])).toThrow(
      /job run\.wake \(queue maintenance\) has no handler/,
    );
    expect(() =>
      assertHandlers(queues, [
        ['run.attempt', 'repair.propose'],
        ['repair.propose'],
        ['runs.reconcile', 'retention.prune', 'run.wake', 'schedule.tick'],
      ]),
    ).toThrow(/job repair\.propose \(queue repairs\) has 2 handlers/);
    expect(() =>
      assertHandlers(queues, [
        ['run.attempt'],
        ['repair.propose'],
        ['runs.reconcile', 'retention.prune', 'run.wake', 'schedule.tick', 'run.nope'],
      ]),
    ).toThrow(/run\.nope, which is not in the job catalog/);
  });
});
