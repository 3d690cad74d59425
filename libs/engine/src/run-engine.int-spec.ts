/**
 * Every engine command against the real PostgreSQL and Redis: what it stores (status, attempt, event,
 * inbox item) in one statement, that it refuses a move the lifecycle table does not allow (returning
 * null and changing nothing), what it publishes (exactly the stored event), and what it enqueues.
 */
import { type AttemptOutcome, createDb, type Db, isBlocked, type StartedAttempt } from '@mendflow/db';
import type { PublishedRunEvent } from '@mendflow/events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, seedAutomation, type TestDatabase } from '../../db/src/testing/test-database';
import type { FailedAttempt } from './run-engine';
import { createTestEngine, type TestEngine } from './testing/test-engine';
import { testRedis } from '../../queue/src/testing/test-redis';

/** Redis db 1 is this suite's (and the approvals e2e's), under a prefix of its own. */
const { redisUrl, prefix } = testRedis(1, 'engine');

let database: TestDatabase;
let db: Db;
let t: TestEngine;
let seeded: Awaited<ReturnType<typeof seedAutomation>>;
/** Every run event the engine handed its (real) publisher while a test ran. */
let published: PublishedRunEvent[] = [];

const outcome = (status: AttemptOutcome['status'], extra: Partial<AttemptOutcome> = {}): AttemptOutcome => ({
  status,
  logs: [],
  recording: { version: 1, calls: [] },
  cost: { cpuMs: 1, wallMs: 2, memoryBytes: 0, fetches: 0 },
  ...extra,
});
const cost = { wallMs: 2, cpuMs: 1, fetches: 0 };

function failed(attempt: number, cls: 'transient' | 'logic' | 'auth' = 'transient'): FailedAttempt {
  const error = { name: 'Error', message: 'boom' };
  return {
    closing: { number: attempt, outcome: outcome('failed', { error }), classification: { class: cls } },
    error,
    facts: { attempt, error, classification: { class: cls, reason: 'because' }, ...cost },
  };
}

async function queued(
  options: { priority?: number; concurrency?: { limit: number; key: string } | null } = {},
) {
  const { run } = await t.engine.queue(seeded.workspaceId, {
    automationId: seeded.automationId,
    versionId: seeded.versionId,
    trigger: 'api',
    input: {},
    createdBy: { kind: 'user', id: seeded.userId },
    priority: options.priority ?? 5,
    concurrency: options.concurrency ?? null,
  });
  return run;
}

async function started(): Promise<StartedAttempt> {
  const run = await queued();
  const begun = await t.engine.begin(seeded.workspaceId, run.id);
  if (!begun || isBlocked(begun)) throw new Error('expected the run to start');
  return begun;
}

/** A repair row as the settler creates it for a logic failure. */
function requestedRepair(runId: string) {
  return db.repair.create({
    data: {
      workspaceId: seeded.workspaceId,
      automationId: seeded.automationId,
      runId,
      attempt: 1,
      baseVersionId: seeded.versionId,
      provider: 'webhook',
      status: 'requested',
    },
  });
}

async function state(runId: string) {
  const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
  const events = await db.runEvent.findMany({ where: { runId }, orderBy: { seq: 'asc' } });
  const attempts = await db.runAttempt.findMany({ where: { runId }, orderBy: { number: 'asc' } });
  const inbox = await db.inboxItem.findMany({ where: { runId }, orderBy: { createdAt: 'asc' } });
  return { run, events, types: events.map((e) => e.type), attempts, inbox };
}

async function jobOf(queue: 'runs' | 'repairs' | 'maintenance', id: string) {
  const job = await t.queues[queue].getJob(id);
  return job ? { name: job.name, data: job.data, state: await job.getState(), opts: job.opts } : undefined;
}

const publishedEvents = (runId: string) => published.filter((event) => event.runId === runId);

beforeAll(async () => {
  database = await createTestDatabase('engine');
  db = createDb(database.url, { poolSize: 4 });
  seeded = await seedAutomation(db, 'engine');
  t = createTestEngine(db, { redisUrl, prefix });
  // Observe what the engine publishes; the publisher still sends it to Redis as in production.
  const publish = t.live.publishRunEvent.bind(t.live);
  t.live.publishRunEvent = (event) => {
    published.push(event);
    publish(event);
  };
});

beforeEach(() => {
  published = [];
});

afterAll(async () => {
  await t?.close();
  await db?.$disconnect();
  await database?.drop();
});

describe('RunEngine commands (PostgreSQL, Redis)', () => {
  it('queue records the run and its first event, and enqueues attempt 1 with the run priority', async () => {
    const run = await queued({ priority: 9 });
    const { types } = await state(run.id);
    expect(run.status).toBe('queued');
    expect(types).toEqual(['run.queued']);
    const job = await jobOf('runs', `run_${run.id}_1`);
    expect(job).toMatchObject({ name: 'run.attempt', data: { runId: run.id, attempt: 1 } });
    expect(job?.opts.priority).toBe(2); // BullMQ: lower first; run priority 9 → 2
  });

  it('begin opens the attempt and publishes run.running; a finished run cannot begin again', async () => {
    const attempt = await started();
    expect(attempt.attempt).toBe(1);
    expect(attempt.createdBy).toEqual({ kind: 'user', id: seeded.userId });
    expect((await state(attempt.runId)).run.status).toBe('running');
    await t.engine.succeed(attempt, outcome('succeeded', { output: 1 }), cost);
    expect(await t.engine.begin(seeded.workspaceId, attempt.runId)).toBeNull();
  });

  it('succeed closes the attempt with its output and publishes exactly the stored event', async () => {
    const attempt = await started();
    const transition = await t.engine.succeed(attempt, outcome('succeeded', { output: { sum: 5 } }), cost);
    expect(transition?.status).toBe('succeeded');
    const { run, attempts, events } = await state(attempt.runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ sum: 5 });
    expect(attempts[0]).toMatchObject({ status: 'succeeded', output: { sum: 5 } });
    const stored = events.at(-1)!;
    const live = publishedEvents(attempt.runId).find((e) => e.seq === stored.seq);
    expect(live).toMatchObject({ type: 'run.succeeded', seq: stored.seq, data: stored.data });
    expect(new Date(live!.createdAt).getTime()).toBe(stored.createdAt.getTime());
    // Every stored event was published once, in seq order.
    expect(publishedEvents(attempt.runId).map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    // A repeated (late) succeed changes nothing: the table does not let a finished run move.
    expect(await t.engine.succeed(attempt, outcome('succeeded'), cost)).toBeNull();
    expect((await state(attempt.runId)).events).toHaveLength(events.length);
  });

  it('scheduleRetry rests the run and enqueues the next attempt delayed', async () => {
    const attempt = await started();
    const transition = await t.engine.scheduleRetry(attempt, failed(1), 60_000);
    expect(transition?.status).toBe('retry_scheduled');
    const { run, attempts, types } = await state(attempt.runId);
    expect(run.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(attempts[0]!.status).toBe('failed');
    expect(types.at(-1)).toBe('run.retry_scheduled');
    expect((await jobOf('runs', `run_${attempt.runId}_2`))?.state).toBe('delayed');
  });

  it('startRepair moves the run to repairing and enqueues the repair job', async () => {
    const attempt = await started();
    const repair = await requestedRepair(attempt.runId);
    const transition = await t.engine.startRepair(attempt, failed(1, 'logic'), {
      id: repair.id,
      provider: 'webhook',
    });
    expect(transition?.status).toBe('repairing');
    expect(await jobOf('repairs', `repair_${repair.id}`)).toMatchObject({ name: 'repair.propose' });
  });

  it('escalate opens the inbox item in the same statement, from running or from repairing', async () => {
    const attempt = await started();
    const transition = await t.engine.escalate(
      attempt,
      {
        kind: 'auth_required',
        title: 'Token rejected',
        reason: '401',
        evidence: {},
        actions: ['retry', 'cancel'],
      },
      { reason: '401' },
      { failed: failed(1, 'auth') },
    );
    expect(transition?.status).toBe('action_needed');
    expect(transition?.inboxItemId).toBeTruthy();
    const { inbox, types } = await state(attempt.runId);
    expect(inbox).toMatchObject([{ kind: 'auth_required', status: 'open', id: transition!.inboxItemId }]);
    expect(types.at(-1)).toBe('run.action_needed');
    // From repairing only when asked: this run is action_needed, so nothing moves.
    expect(
      await t.engine.escalate(
        attempt,
        { kind: 'repair_failed', title: 'x', reason: 'y', evidence: {}, actions: ['cancel'] },
        {},
        { from: 'repairing' },
      ),
    ).toBeNull();
  });

  it('requeue abandons the attempt and enqueues the next one', async () => {
    const attempt = await started();
    const transition = await t.engine.requeue(attempt, { name: 'WorkerLost', message: 'gone' }, 'lost');
    expect(transition?.status).toBe('queued');
    const { attempts, types } = await state(attempt.runId);
    expect(attempts[0]!.status).toBe('abandoned');
    expect(types.at(-1)).toBe('attempt.abandoned');
    expect(await jobOf('runs', `run_${attempt.runId}_2`)).toMatchObject({ name: 'run.attempt' });
  });

  it('cancel stops any unfinished run, closes its open items; a finished run is not cancellable', async () => {
    const attempt = await started();
    await t.engine.escalate(
      attempt,
      { kind: 'unknown_failure', title: 't', reason: 'r', evidence: {}, actions: ['retry', 'cancel'] },
      {},
      { failed: failed(1) },
    );
    const transition = await t.engine.cancel(attempt, { by: seeded.userId, reason: 'not needed' });
    expect(transition?.status).toBe('cancelled');
    const { inbox, events } = await state(attempt.runId);
    expect(inbox[0]).toMatchObject({ status: 'resolved', resolution: 'cancel' });
    expect(events.at(-1)).toMatchObject({
      type: 'run.cancelled',
      data: { by: seeded.userId, reason: 'not needed' },
    });
    expect(await t.engine.cancel(attempt, { by: null, reason: 'again' })).toBeNull();
  });

  it('retry queues a finished run again on the given version; reject ends an action-needed run', async () => {
    const attempt = await started();
    await t.engine.escalate(
      attempt,
      { kind: 'unknown_failure', title: 't', reason: 'r', evidence: {}, actions: ['retry', 'cancel'] },
      {},
      { failed: failed(1) },
    );
    const rejected = await t.engine.reject(attempt, { by: seeded.userId, reason: 'rejected' });
    expect(rejected?.status).toBe('failed');
    const retried = await t.engine.retry(
      attempt,
      { by: seeded.userId, reason: 'again' },
      {
        id: seeded.versionId,
        number: 1,
      },
    );
    expect(retried?.status).toBe('queued');
    expect(await jobOf('runs', `run_${attempt.runId}_2`)).toMatchObject({ name: 'run.attempt' });
    // Succeeded runs are not retryable.
    const done = await started();
    await t.engine.succeed(done, outcome('succeeded'), cost);
    expect(
      await t.engine.retry(done, { by: null, reason: 'x' }, { id: seeded.versionId, number: 1 }),
    ).toBeNull();
  });

  it('resumeAfterRepair queues the run on the repaired version', async () => {
    const attempt = await started();
    const repair = await requestedRepair(attempt.runId);
    await t.engine.startRepair(attempt, failed(1, 'logic'), { id: repair.id, provider: 'webhook' });
    const transition = await t.engine.resumeAfterRepair(
      attempt,
      repair,
      { id: seeded.versionId, number: 1 },
      {
        from: 'repairing',
      },
    );
    expect(transition?.status).toBe('queued');
    expect((await state(attempt.runId)).types.at(-1)).toBe('repair.deployed');
    expect(await jobOf('runs', `run_${attempt.runId}_2`)).toMatchObject({ name: 'run.attempt' });
  });

  it('note appends a progress event without moving the run, and refuses data outside the catalog', async () => {
    const attempt = await started();
    await t.engine.note(attempt, {
      type: 'repair.proposed',
      data: { repairId: '00000000-0000-4000-8000-000000000000', provider: 'webhook' },
    });
    const { run, types } = await state(attempt.runId);
    expect(run.status).toBe('running');
    expect(types.at(-1)).toBe('repair.proposed');
    await expect(
      t.engine.note(attempt, { type: 'repair.proposed', data: { provider: 'webhook' } as never }),
    ).rejects.toThrow();
  });
});

describe('RunEngine waits: approvals and durable sleep (PostgreSQL, Redis)', () => {
  const approval = {
    kind: 'approval' as const,
    title: 'Send invoice',
    details: 'to ACME',
    timeoutMs: 3_600_000,
    caps: { maxFetches: 1 },
  };

  it('wait closes the attempt as waiting, opens the approval item and sets the expiry timer', async () => {
    const attempt = await started();
    const transition = await t.engine.wait(attempt, outcome('waiting'), approval);
    expect(transition?.status).toBe('waiting');
    const { run, attempts, inbox, events } = await state(attempt.runId);
    expect(run.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    expect(attempts[0]).toMatchObject({ status: 'waiting', wait: approval, answer: null });
    expect(inbox[0]).toMatchObject({
      kind: 'approval',
      status: 'open',
      title: 'Send invoice',
      actions: ['approve', 'reject'],
    });
    expect(inbox[0]!.evidence).toMatchObject({
      caps: { maxFetches: 1 },
      attempt: 1,
      startedBy: { kind: 'user' },
    });
    expect(events.at(-1)).toMatchObject({
      type: 'run.waiting',
      data: { kind: 'approval', title: 'Send invoice' },
    });
    expect((await jobOf('maintenance', `wake_${attempt.runId}_1`))?.state).toBe('delayed');
  });

  it('answerApproval resumes the run with the answer stored for the next attempt, once', async () => {
    const attempt = await started();
    const { inboxItemId } = (await t.engine.wait(attempt, outcome('waiting'), approval))!;
    const answer = { approved: true, by: seeded.userId, comment: 'ok', caps: { maxFetches: 0 } };
    const { transition, claimed } = await t.engine.answerApproval(
      attempt,
      { id: inboxItemId!, attempt: 1 },
      answer,
    );
    expect(claimed).toBe(true);
    expect(transition?.status).toBe('queued');
    const { attempts, inbox, types } = await state(attempt.runId);
    expect(attempts[0]!.answer).toEqual(answer);
    expect(inbox[0]).toMatchObject({ status: 'resolved', resolution: 'approve', comment: 'ok' });
    expect(types.slice(-2)).toEqual(['inbox.resolved', 'run.resumed']);
    // The next attempt resumes from the waiting one with its answer.
    const next = await t.engine.begin(seeded.workspaceId, attempt.runId);
    expect(next && !isBlocked(next) && next.resume).toMatchObject({ attempt: 1, answer });
    // A second answer claims nothing.
    expect(
      (await t.engine.answerApproval(attempt, { id: inboxItemId!, attempt: 1 }, { approved: false, by: 'x' }))
        .claimed,
    ).toBe(false);
  });

  it('wake expires an unanswered approval past its deadline, and ignores an early or stale timer', async () => {
    const attempt = await started();
    await t.engine.wait(attempt, outcome('waiting'), approval);
    // Early: the deadline is an hour away; nothing moves and the caller learns when to fire again.
    expect(await t.engine.wake(attempt, 1)).toEqual({ notBefore: expect.any(Date) });
    expect((await state(attempt.runId)).run.status).toBe('waiting');
    await db.$executeRaw`UPDATE runs SET next_attempt_at = now() - interval '1 second' WHERE id = ${attempt.runId}::uuid`;
    await db.$executeRaw`UPDATE inbox_items SET expires_at = now() - interval '1 second' WHERE run_id = ${attempt.runId}::uuid`;
    expect(await t.engine.wake(attempt, 1)).toMatchObject({ status: 'queued' });
    const { attempts, inbox, events } = await state(attempt.runId);
    expect(attempts[0]!.answer).toEqual({ approved: false, expired: true });
    expect(inbox[0]).toMatchObject({ status: 'expired', resolution: 'expire' });
    expect(events.at(-1)).toMatchObject({ type: 'run.resumed', data: { kind: 'approval', expired: true } });
    expect(await t.engine.wake(attempt, 1)).toBeNull();
  });

  it('a sleep wakes at its time and resumes; the wake job is delayed until then', async () => {
    const attempt = await started();
    const until = Date.now() + 60_000;
    await t.engine.wait(attempt, outcome('waiting'), { kind: 'sleep', until });
    const job = await t.queues.maintenance.getJob(`wake_${attempt.runId}_1`);
    expect(await job?.getState()).toBe('delayed');
    expect(job!.opts.delay).toBeGreaterThan(55_000);
    expect(await t.engine.wake(attempt, 1)).toMatchObject({ notBefore: expect.any(Date) }); // too early
    await db.$executeRaw`UPDATE runs SET next_attempt_at = now() WHERE id = ${attempt.runId}::uuid`;
    expect(await t.engine.wake(attempt, 1)).toMatchObject({ status: 'queued' });
    expect((await state(attempt.runId)).attempts[0]!.answer).toEqual({ slept: true });
  });

  it('cancel ends a waiting run and closes its approval request', async () => {
    const attempt = await started();
    await t.engine.wait(attempt, outcome('waiting'), approval);
    expect((await t.engine.cancel(attempt, { by: seeded.userId, reason: 'no' }))?.status).toBe('cancelled');
    expect((await state(attempt.runId)).inbox[0]).toMatchObject({ status: 'resolved', resolution: 'cancel' });
    expect(await t.engine.wake(attempt, 1)).toBeNull();
  });
});

describe('RunEngine concurrency lines (PostgreSQL, Redis)', () => {
  it('gives a limited run its job only at the head of its line, and refills when a slot frees', async () => {
    const line = { limit: 1, key: 'acme' };
    const first = await queued({ concurrency: line });
    const second = await queued({ concurrency: line });
    expect(await jobOf('runs', `run_${first.id}_1`)).toBeDefined();
    expect(await jobOf('runs', `run_${second.id}_1`)).toBeUndefined();
    const begun = await t.engine.begin(seeded.workspaceId, first.id);
    if (!begun || isBlocked(begun)) throw new Error('expected the head to start');
    const blocked = await t.engine.begin(seeded.workspaceId, second.id);
    expect(blocked && isBlocked(blocked) && blocked.blocked).toEqual({ ahead: 0, limit: 1, key: 'acme' });
    await t.engine.succeed(begun, outcome('succeeded'), cost);
    // The slot was freed in the same statement, and the engine handed the next run its job.
    expect(await jobOf('runs', `run_${second.id}_1`)).toMatchObject({ name: 'run.attempt' });
  });

  it("keeps a cancelled running run's slot until its attempt has really stopped", async () => {
    const line = { limit: 1, key: 'cancel-me' };
    const first = await queued({ concurrency: line });
    const second = await queued({ concurrency: line });
    const begun = await t.engine.begin(seeded.workspaceId, first.id);
    if (!begun || isBlocked(begun)) throw new Error('expected the head to start');
    await t.engine.cancel(begun, { by: seeded.userId, reason: 'stop' });
    // The aborted attempt may still run for a moment: the next run of the line must not start yet.
    const early = await t.engine.begin(seeded.workspaceId, second.id);
    expect(early && isBlocked(early)).toBe(true);
    // The worker closes the attempt (the run moved on): the slot is freed and the next run gets its job.
    await t.engine.attemptClosed(begun);
    expect(await jobOf('runs', `run_${second.id}_1`)).toMatchObject({ name: 'run.attempt' });
    const next = await t.engine.begin(seeded.workspaceId, second.id);
    expect(next && !isBlocked(next) && next.runId).toBe(second.id);
  });
});
