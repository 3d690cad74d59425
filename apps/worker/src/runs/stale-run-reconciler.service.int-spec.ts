/**
 * The stale-run reconciler against real PostgreSQL and Redis: a `running` run whose attempt has no
 * live job is recovered exactly once (attempt abandoned, run queued again with the next attempt's
 * job, one event saying why), a run whose job is alive or that just started is left alone, and a run
 * that keeps losing its worker is paused for a person instead of looping.
 */
import {
  AutomationsRepository,
  createDb,
  type Db,
  RunExecutionRepository,
  RunSlotsRepository,
  RunsRepository,
  TriggersRepository,
} from '@mendflow/db';
import { RUN_PRIORITY } from '@mendflow/common';
import { JOB_CATALOG, QueueNames, redisConnection, runJob, runJobId, wakeJobId } from '@mendflow/queue';
import { ScheduleSync } from '@mendflow/triggers';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  seedAutomation,
  type TestDatabase,
} from '../../../../libs/db/src/testing/test-database';
import {
  createTestEngine,
  createTestEventRouter,
  type TestEngine,
} from '../../../../libs/engine/src/testing/test-engine';
import type { WorkerConfig } from '../config/worker-config';
import { WorkerMetrics } from '../health/worker-metrics';
import { ScheduleTicks } from '../schedules/schedule-ticks.service';
import {
  LOST_ATTEMPT_REASON,
  MAX_LOST_ATTEMPTS,
  RECONCILE_SCHEDULER_ID,
  StaleRunReconciler,
} from './stale-run-reconciler.service';
import { testRedis } from '../../../../libs/queue/src/testing/test-redis';

/** Redis db 14 and a prefix of this file's own: nothing another suite uses. */
const { redisUrl, prefix } = testRedis(14, 'reconciler');
const connection = redisConnection(redisUrl);

let database: TestDatabase;
let db: Db;
let queue: Queue;
let testEngine: TestEngine;
let execution: RunExecutionRepository;
let runs: RunsRepository;
let seeded: Awaited<ReturnType<typeof seedAutomation>>;

const config = { STALE_QUEUED_RUN_MS: 60_000, WORKER_LOCK_DURATION_MS: 30_000 } as WorkerConfig;
const reconciler = () =>
  new StaleRunReconciler(
    testEngine.engine,
    testEngine.jobs,
    execution,
    new RunSlotsRepository(db),
    queue,
    testEngine.queues.maintenance,
    testEngine.queues.repairs,
    config,
    new ScheduleSync(new TriggersRepository(db), testEngine.queues.maintenance),
    new ScheduleTicks(
      new TriggersRepository(db),
      new AutomationsRepository(db),
      runs,
      testEngine.engine,
      new WorkerMetrics(),
    ),
    createTestEventRouter(db, testEngine.engine),
  );

/** A run started `times` times (each start after the first abandons the attempt before it). */
async function runningRun(
  options: { times?: number; startedAgoMs?: number; attemptStartedAgoMs?: number } = {},
): Promise<string> {
  const { run } = await runs.createQueued(seeded.workspaceId, {
    automationId: seeded.automationId,
    versionId: seeded.versionId,
    trigger: 'api',
    input: {},
  });
  for (let i = 0; i < (options.times ?? 1); i++) await execution.beginAttempt(seeded.workspaceId, run.id);
  const ago = options.startedAgoMs ?? 5 * 60_000;
  await db.$executeRaw`UPDATE runs SET updated_at = now() - make_interval(secs => ${ago / 1000}) WHERE id = ${run.id}::uuid`;
  const attemptAgo = options.attemptStartedAgoMs ?? ago;
  await db.$executeRaw`UPDATE run_attempts SET started_at = now() - make_interval(secs => ${attemptAgo / 1000}) WHERE run_id = ${run.id}::uuid`;
  return run.id;
}

async function state(runId: string) {
  const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
  const attempts = await db.runAttempt.findMany({
    where: { runId },
    orderBy: { number: 'asc' },
    select: { number: true, status: true, error: true },
  });
  const events = await db.runEvent.findMany({ where: { runId }, orderBy: { seq: 'asc' } });
  const inbox = await db.inboxItem.findMany({ where: { runId }, select: { kind: true, title: true } });
  return { status: run.status, attemptCount: run.attemptCount, attempts, events, inbox };
}

async function jobState(runId: string, attempt: number): Promise<string | undefined> {
  const job = await queue.getJob(runJobId({ runId, attempt }));
  return job ? job.getState() : undefined;
}

beforeAll(async () => {
  database = await createTestDatabase('stale_runs');
  db = createDb(database.url, { poolSize: 4 });
  execution = new RunExecutionRepository(db);
  runs = new RunsRepository(db);
  seeded = await seedAutomation(db, 'reconciler');
  testEngine = createTestEngine(db, { redisUrl, prefix });
  queue = testEngine.queues.runs;
});

afterAll(async () => {
  await testEngine?.close();
  await db?.$disconnect();
  await database?.drop();
});

describe('StaleRunReconciler: running runs without a live job (PostgreSQL, Redis)', () => {
  it('recovers each lost run once, leaves live and recent ones alone, and a second pass does nothing', async () => {
    // No job at all (Redis lost it, or it was never there).
    const vanished = await runningRun();
    // A job that failed: the exception escaped the processor and left the run running.
    const failed = await runningRun();
    const failing = runJob(
      {
        runId: failed,
        workspaceId: seeded.workspaceId,
        automationId: seeded.automationId,
        attempt: 1,
      },
      5,
    );
    const worker = new Worker(
      QueueNames.runs,
      async () => {
        throw new Error('escaped the processor');
      },
      { connection, prefix },
    );
    const failedOnce = new Promise((resolve) => worker.once('failed', resolve));
    await queue.add(failing.name, failing.data, failing.opts);
    await failedOnce;
    await worker.close();
    expect(await jobState(failed, 1)).toBe('failed');
    // A job still waiting for a worker: BullMQ will deliver it, nothing to recover.
    const waiting = await runningRun();
    const pending = runJob(
      {
        runId: waiting,
        workspaceId: seeded.workspaceId,
        automationId: seeded.automationId,
        attempt: 1,
      },
      5,
    );
    await queue.add(pending.name, pending.data, pending.opts);
    // Started a moment ago: not looked at yet.
    const recent = await runningRun({ startedAgoMs: 0 });
    const before = { waiting: await state(waiting), recent: await state(recent) };

    expect(await reconciler().reconcile()).toBe(2);

    for (const runId of [vanished, failed]) {
      const after = await state(runId);
      expect(after.status).toBe('queued');
      expect(after.attempts).toEqual([
        {
          number: 1,
          status: 'abandoned',
          error: expect.objectContaining({ name: 'WorkerLost', code: 'LEASE_LOST' }),
        },
      ]);
      expect(after.events.map((e) => [e.type, e.data])).toEqual([
        ['run.queued', { trigger: 'api' }],
        ['run.running', { attempt: 1 }],
        ['attempt.abandoned', { attempt: 1, reason: LOST_ATTEMPT_REASON }],
      ]);
      expect(await jobState(runId, 2)).toBe('prioritized');
    }
    expect(await state(waiting)).toEqual(before.waiting);
    expect(await state(recent)).toEqual(before.recent);

    expect(await reconciler().reconcile()).toBe(0);
    for (const runId of [vanished, failed]) {
      expect((await state(runId)).events.filter((e) => e.type === 'attempt.abandoned')).toHaveLength(1);
    }
  });

  it('leaves a run whose job vanished alone while its attempt may still be running (its time limit not over)', async () => {
    // Redis lost the job (restarted empty) while a worker runs the attempt: a new attempt now would
    // repeat the steps under way. The seeded version's limit is the default 30 s; the lock grace 30 s.
    const running = await runningRun({ attemptStartedAgoMs: 20_000 });
    const before = await state(running);
    expect(await reconciler().reconcile()).toBe(0);
    expect(await state(running)).toEqual(before);
    // Past the time limit and the grace, no script of that attempt can still run: recovered.
    await db.$executeRaw`UPDATE run_attempts SET started_at = now() - interval '61 seconds' WHERE run_id = ${running}::uuid`;
    expect(await reconciler().reconcile()).toBe(1);
    expect((await state(running)).status).toBe('queued');
  });

  it('recovers a run exactly once when two reconcilers race for it', async () => {
    const runId = await runningRun();
    const [a, b] = await Promise.all([reconciler().reconcile(), reconciler().reconcile()]);
    expect(a + b).toBe(1);
    const after = await state(runId);
    expect(after.status).toBe('queued');
    expect(after.events.filter((e) => e.type === 'attempt.abandoned')).toHaveLength(1);
    expect(await jobState(runId, 2)).toBe('prioritized');
  });

  it('never overtakes a worker that settled the attempt in the meantime', async () => {
    const runId = await runningRun();
    // The attempt's worker settles it between the reconciler's look and its move.
    await execution.transition(seeded.workspaceId, runId, {
      from: ['running'],
      to: 'succeeded',
      attempt: {
        number: 1,
        outcome: {
          status: 'succeeded',
          output: 1,
          logs: [],
          recording: { version: 1, calls: [] },
          cost: { cpuMs: 1, wallMs: 1, memoryBytes: 0, fetches: 0 },
        },
      },
      event: { type: 'run.succeeded', data: { attempt: 1 } },
    });
    const lost = await execution.transition(seeded.workspaceId, runId, {
      from: ['running'],
      to: 'queued',
      attempt: { number: 1, abandoned: { name: 'WorkerLost', message: 'lost' } },
      event: { type: 'attempt.abandoned', data: { attempt: 1 } },
    });
    expect(lost).toBeNull();
    expect((await state(runId)).attempts).toEqual([{ number: 1, status: 'succeeded', error: null }]);
  });

  it(`pauses a run for a person after ${MAX_LOST_ATTEMPTS} attempts that no worker finished`, async () => {
    const runId = await runningRun({ times: MAX_LOST_ATTEMPTS });
    expect((await state(runId)).attempts.map((a) => a.status)).toEqual(['abandoned', 'abandoned', 'running']);

    expect(await reconciler().reconcile()).toBe(1);

    const after = await state(runId);
    expect(after.status).toBe('action_needed');
    expect(after.attempts.map((a) => a.status)).toEqual(['abandoned', 'abandoned', 'abandoned']);
    expect(after.inbox).toEqual([{ kind: 'unknown_failure', title: 'Attempts keep losing their worker' }]);
    expect(after.events.at(-1)).toMatchObject({
      type: 'run.action_needed',
      data: { attempt: 3, lostAttempts: 3, inboxKind: 'unknown_failure' },
    });
    expect(await jobState(runId, 4)).toBeUndefined();
    expect(await reconciler().reconcile()).toBe(0);
  });

  it('gives a job only to the head of a limited line, however long the line has waited, and frees a lost slot', async () => {
    const limited = async () =>
      (
        await runs.createQueued(seeded.workspaceId, {
          automationId: seeded.automationId,
          versionId: seeded.versionId,
          trigger: 'api',
          input: {},
          concurrency: { limit: 1, key: 'line' },
        })
      ).run.id;
    const holder = await limited();
    expect(await execution.beginAttempt(seeded.workspaceId, holder)).toMatchObject({ runId: holder });
    const waiting = [await limited(), await limited(), await limited()];
    for (const runId of waiting) {
      expect(await execution.beginAttempt(seeded.workspaceId, runId)).toMatchObject({
        blocked: { limit: 1, key: 'line' },
      });
    }
    // All of them long idle: the holder's worker is gone (no job), the others wait for its slot.
    await db.$executeRaw`UPDATE runs SET updated_at = now() - interval '5 minutes' WHERE id = ANY(${[holder, ...waiting]}::uuid[])`;
    await db.$executeRaw`UPDATE run_attempts SET started_at = now() - interval '5 minutes' WHERE run_id = ${holder}::uuid`;

    expect(await reconciler().reconcile()).toBe(1);
    // The holder lost its attempt and its slot, and is back at the head of the line with the only job.
    expect((await state(holder)).status).toBe('queued');
    expect(await db.runSlot.count({ where: { automationId: seeded.automationId } })).toBe(0);
    expect(await jobState(holder, 2)).toBe('prioritized');
    for (const runId of waiting) expect(await jobState(runId, 1)).toBeUndefined();

    // Another pass finds the line still stale: the head already has its job, the others get none.
    await reconciler().reconcile();
    for (const runId of waiting) expect(await jobState(runId, 1)).toBeUndefined();

    for (const runId of [holder, ...waiting]) {
      await execution.transition(seeded.workspaceId, runId, {
        from: ['queued'],
        to: 'cancelled',
        event: { type: 'run.cancelled', data: {} },
      });
    }
  });
});

describe('StaleRunReconciler: one pass per interval across the cluster (Redis)', () => {
  it('registers a single job scheduler however many workers start', async () => {
    // Three workers starting: each upserts the same scheduler id, so one pass is scheduled, not three.
    for (let i = 0; i < 3; i++) await reconciler().onApplicationBootstrap();
    const schedulers = await testEngine.queues.maintenance.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({
      key: RECONCILE_SCHEDULER_ID,
      name: 'runs.reconcile',
      every: 30_000,
    });
    await testEngine.queues.maintenance.removeJobScheduler(RECONCILE_SCHEDULER_ID);
  });
});

describe('StaleRunReconciler: after Redis lost its data (PostgreSQL, Redis)', () => {
  it('writes its job scheduler again, and a queued run whose job vanished is enqueued from PostgreSQL', async () => {
    const keeper = reconciler();
    await keeper.onApplicationBootstrap();
    try {
      const maintenance = testEngine.queues.maintenance;
      expect(await keeper.keepScheduler()).toBe(false); // there: nothing written
      // A run queued (its job added), then Redis loses everything under this suite's prefix.
      const { run } = await testEngine.engine.queue(seeded.workspaceId, {
        automationId: seeded.automationId,
        versionId: seeded.versionId,
        trigger: 'api',
        input: {},
        priority: RUN_PRIORITY.default,
        concurrency: null,
      });
      expect(await jobState(run.id, 1)).toBe('prioritized');
      await maintenance.obliterate({ force: true });
      await queue.obliterate({ force: true });
      expect(await maintenance.getJobScheduler(RECONCILE_SCHEDULER_ID)).toBeUndefined();
      expect(await jobState(run.id, 1)).toBeUndefined();

      expect(await keeper.keepScheduler()).toBe(true);
      expect(await maintenance.getJobScheduler(RECONCILE_SCHEDULER_ID)).toMatchObject({ every: 30_000 });
      // The pass the scheduler runs finds the run in PostgreSQL (queued longer than the threshold).
      await db.$executeRaw`UPDATE runs SET updated_at = now() - interval '5 minutes' WHERE id = ${run.id}::uuid`;
      expect(await keeper.reconcile()).toBeGreaterThanOrEqual(1);
      expect(await jobState(run.id, 1)).toBe('prioritized');
      expect((await state(run.id)).status).toBe('queued');
    } finally {
      keeper.onApplicationShutdown();
      await testEngine.queues.maintenance.removeJobScheduler(RECONCILE_SCHEDULER_ID);
    }
  });
});

describe('StaleRunReconciler: waiting runs past their wake-up (PostgreSQL, Redis)', () => {
  it('sets a lost timer again, makes a timer set for later than the deadline fire now, and leaves waits not yet due alone', async () => {
    const maintenance = testEngine.queues.maintenance;
    /** A run waiting on attempt 1 whose wake-up was `agoMs` ago (negative: still ahead). */
    const waitingRun = async (agoMs: number) => {
      const runId = await runningRun();
      await db.$executeRaw`UPDATE runs SET status = 'waiting', next_attempt_at = now() - make_interval(secs => ${agoMs / 1000}) WHERE id = ${runId}::uuid`;
      return runId;
    };
    const timerState = async (runId: string) =>
      (await maintenance.getJob(wakeJobId({ runId, attempt: 1 })))?.getState();
    const setTimer = async (runId: string, delayMs: number) => {
      const job = JOB_CATALOG['run.wake'].build(
        { runId, workspaceId: seeded.workspaceId, attempt: 1 },
        { delayMs },
      );
      await maintenance.add(job.name, job.data, job.opts);
    };
    // Its timer vanished with Redis.
    const lost = await waitingRun(5 * 60_000);
    // Its timer is still set for tomorrow, though PostgreSQL's deadline passed long ago.
    const late = await waitingRun(5 * 60_000);
    await setTimer(late, 86_400_000);
    // Due in an hour, timer set: nothing to do.
    const ahead = await waitingRun(-3_600_000);
    await setTimer(ahead, 3_600_000);
    expect(await timerState(lost)).toBeUndefined();
    expect(await timerState(late)).toBe('delayed');

    await reconciler().reconcile();
    expect(await timerState(lost)).toBe('waiting');
    expect(await timerState(late)).toBe('waiting');
    expect(await timerState(ahead)).toBe('delayed');
    // Another pass changes nothing: the timers are due and wait for a worker.
    await reconciler().reconcile();
    expect(await timerState(lost)).toBe('waiting');
    expect(await timerState(late)).toBe('waiting');

    await db.$executeRaw`UPDATE runs SET status = 'cancelled', next_attempt_at = NULL WHERE id = ANY(${[lost, late, ahead]}::uuid[])`;
  });
});

describe('StaleRunReconciler: repairing runs whose repair job is gone (PostgreSQL, Redis)', () => {
  it('enqueues the repair again, once, and leaves a repair whose job is alive alone', async () => {
    const repairingRun = async () => {
      const id = await runningRun();
      const repair = await db.repair.create({
        data: {
          workspaceId: seeded.workspaceId,
          automationId: seeded.automationId,
          runId: id,
          attempt: 1,
          baseVersionId: seeded.versionId,
          provider: 'webhook',
          status: 'proposed',
        },
      });
      await db.$executeRaw`UPDATE runs SET status = 'repairing', updated_at = now() - interval '5 minutes' WHERE id = ${id}::uuid`;
      return { id, repairId: repair.id };
    };
    const lost = await repairingRun();
    const alive = await repairingRun();
    await testEngine.jobs.enqueue('repair.propose', {
      repairId: alive.repairId,
      workspaceId: seeded.workspaceId,
    });
    await reconciler().reconcile();
    const jobOf = async (repairId: string) => {
      const job = await testEngine.queues.repairs.getJob(`repair_${repairId}`);
      return job ? { state: await job.getState(), data: job.data } : undefined;
    };
    expect(await jobOf(lost.repairId)).toMatchObject({
      state: 'waiting',
      data: { repairId: lost.repairId, workspaceId: seeded.workspaceId },
    });
    expect((await jobOf(alive.repairId))?.state).toBe('waiting');
    // A second pass finds the job alive: nothing more is added.
    const counts = await testEngine.queues.repairs.getJobCounts('waiting');
    await reconciler().reconcile();
    expect(await testEngine.queues.repairs.getJobCounts('waiting')).toEqual(counts);
    await db.$executeRaw`UPDATE runs SET status = 'cancelled' WHERE id = ANY(${[lost.id, alive.id]}::uuid[])`;
  });
});
