import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../database';
import { AutomationsRepository } from './automations.repository';
import { createTestDatabase, seedAutomation, type TestDatabase } from '../testing/test-database';
import {
  type BeginAttemptResult,
  isBlocked,
  RunExecutionRepository,
  type StartedAttempt,
} from './run-execution.repository';
import { RunSlotsRepository } from './run-slots.repository';
import type { Transition } from './run-transitions';
import { RunsRepository } from './runs.repository';

let database: TestDatabase;
let db: Db;
let runs: RunsRepository;
let execution: RunExecutionRepository;
let slots: RunSlotsRepository;
let workspaceId: string;
let versionId: string;
let seededAutomation: string;

beforeAll(async () => {
  database = await createTestDatabase('run_slots');
  // Room for ten statements at once, so parallel starts really race in PostgreSQL.
  db = createDb(database.url, { poolSize: 12 });
  runs = new RunsRepository(db);
  execution = new RunExecutionRepository(db);
  slots = new RunSlotsRepository(db);
  ({ workspaceId, versionId, automationId: seededAutomation } = await seedAutomation(db, 'slots'));
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

let automationCount = 0;
/** A fresh automation (its own lines) sharing the seeded version's workspace. */
async function newAutomation(): Promise<{ automationId: string; versionId: string }> {
  const automation = await new AutomationsRepository(db).create(workspaceId, {
    name: `limited-${++automationCount}`,
    source: 'export default async () => 1',
    language: 'javascript',
    manifest: (await db.automationVersion.findUniqueOrThrow({ where: { id: versionId } })).manifest as never,
    createdByKind: 'user',
    createdBy: (await db.user.findFirstOrThrow()).id,
  });
  return { automationId: automation.id, versionId: automation.deployedVersion!.id };
}

async function queueRun(
  target: { automationId: string; versionId: string },
  options: { limit?: number; key?: string; priority?: number } = {},
) {
  const { run } = await runs.createQueued(workspaceId, {
    ...target,
    trigger: 'api',
    input: null,
    priority: options.priority,
    concurrency: options.limit ? { limit: options.limit, key: options.key ?? '' } : null,
  });
  // A line's "first come" is created_at, kept to the millisecond (runs created within one go in id
  // order), and a quarter of back-to-back inserts share one: each run made here is given a later one than
  // every earlier run of its automation, so the order the test made them in is the order they came in.
  await db.$executeRaw`UPDATE runs SET created_at = GREATEST(created_at, (
      SELECT max(created_at) + interval '1 millisecond' FROM runs
      WHERE automation_id = ${target.automationId}::uuid AND id <> ${run.id}::uuid))
    WHERE id = ${run.id}::uuid`;
  return run.id;
}

const started = (result: BeginAttemptResult): result is StartedAttempt =>
  result !== null && !isBlocked(result);

const outcome = {
  status: 'succeeded' as const,
  output: 1,
  logs: [],
  recording: { version: 1, calls: [] },
  cost: { cpuMs: 1, wallMs: 1, memoryBytes: 1, fetches: 0 },
};

async function statusOf(runId: string) {
  return (await runs.get(workspaceId, runId)).status;
}

describe('concurrency slots (PostgreSQL)', () => {
  it('admits exactly `limit` of ten runs started at once; the others stay queued, blocked', async () => {
    const target = await newAutomation();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await queueRun(target, { limit: 2 }));
    const results = await Promise.all(ids.map((id) => execution.beginAttempt(workspaceId, id)));
    expect(results.filter(started)).toHaveLength(2);
    const blocked = results.filter((r) => r !== null && isBlocked(r));
    expect(blocked).toHaveLength(8);
    for (const r of blocked) expect(r.blocked).toMatchObject({ limit: 2, key: null });
    expect(await slots.heldSlots({ automationId: target.automationId, key: '' })).toBe(2);
    const statuses = await Promise.all(ids.map(statusOf));
    expect(statuses.filter((s) => s === 'running')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'queued')).toHaveLength(8);
    // Blocked starts changed nothing on the waiting runs (no attempt, no event).
    const waiting = ids.filter((_, i) => statuses[i] === 'queued');
    expect((await runs.get(workspaceId, waiting[0]!)).attemptCount).toBe(0);
  });

  it('keeps the limit whatever the order of starts and finishes: never more than `limit` running', async () => {
    const target = await newAutomation();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await queueRun(target, { limit: 3 }));
    const done = new Set<string>();
    // Rounds: every unfinished run tries to start at once, then the running ones finish.
    for (let round = 0; round < 12 && done.size < ids.length; round++) {
      const results = await Promise.all(
        ids.filter((id) => !done.has(id)).map((id) => execution.beginAttempt(workspaceId, id)),
      );
      const running = results.filter(started);
      expect(running.length).toBeLessThanOrEqual(3);
      expect(await slots.heldSlots({ automationId: target.automationId, key: '' })).toBe(running.length);
      await Promise.all(
        running.map((r) =>
          execution.transition(workspaceId, r.runId, {
            from: ['running'],
            to: 'succeeded',
            attempt: { number: r.attempt, outcome },
            event: { type: 'run.succeeded', data: {} },
          }),
        ),
      );
      for (const r of running) done.add(r.runId);
    }
    expect(done.size).toBe(12);
    expect(await slots.heldSlots({ automationId: target.automationId, key: '' })).toBe(0);
  });

  it('starts the head of the line only: higher priority first, then first come first served', async () => {
    const target = await newAutomation();
    const holder = await queueRun(target, { limit: 1 });
    expect(started(await execution.beginAttempt(workspaceId, holder))).toBe(true);
    const low = await queueRun(target, { limit: 1, priority: 2 });
    const firstDefault = await queueRun(target, { limit: 1 });
    const secondDefault = await queueRun(target, { limit: 1 });
    const high = await queueRun(target, { limit: 1, priority: 9 });
    const line = { workspaceId, automationId: target.automationId, key: '' };

    // The slot is taken: nobody is next, and the view says how many are ahead of each.
    expect(await slots.nextInLine(line)).toEqual([]);
    const view = await runs.get(workspaceId, low);
    expect(view.slotWait).toEqual({ ahead: 3, limit: 1, key: null });
    expect((await runs.get(workspaceId, high)).slotWait).toEqual({ ahead: 0, limit: 1, key: null });

    const order: string[] = [];
    let current = holder;
    for (let i = 0; i < 4; i++) {
      await execution.transition(workspaceId, current, {
        from: ['running'],
        to: 'succeeded',
        attempt: { number: 1, outcome },
        event: { type: 'run.succeeded', data: {} },
      });
      const next = await slots.nextInLine(line);
      expect(next).toHaveLength(1);
      // Only the head gets in, even when every waiting run's job fires at once.
      const results = await Promise.all(
        [low, firstDefault, secondDefault, high]
          .filter((id) => !order.includes(id))
          .map((id) => execution.beginAttempt(workspaceId, id)),
      );
      const admitted = results.filter(started);
      expect(admitted.map((r) => r.runId)).toEqual([next[0]!.id]);
      current = admitted[0]!.runId;
      order.push(current);
    }
    expect(order).toEqual([high, firstDefault, secondDefault, low]);
  });

  it('gives each key its own line: different keys run side by side, each within the limit', async () => {
    const target = await newAutomation();
    const a = [1, 2, 3].map(() => queueRun(target, { limit: 1, key: 'customer-a' }));
    const b = [1, 2, 3].map(() => queueRun(target, { limit: 1, key: 'customer-b' }));
    const ids = await Promise.all([...a, ...b]);
    const results = await Promise.all(ids.map((id) => execution.beginAttempt(workspaceId, id)));
    const running = results.filter(started);
    expect(running).toHaveLength(2);
    expect(new Set(running.map((r) => r.concurrencyKey))).toEqual(new Set(['customer-a', 'customer-b']));
    const blockedB = results.find((r) => r !== null && isBlocked(r) && r.blocked.key === 'customer-b');
    expect(blockedB).toBeDefined();
  });

  it('frees the slot on every transition out of running, and keeps it for a run restarted after a lost worker', async () => {
    const target = await newAutomation();
    const line = { automationId: target.automationId, key: '' };
    const leaving: Omit<Transition, 'attempt'>[] = [
      { from: ['running'], to: 'succeeded', event: { type: 'run.succeeded', data: {} } },
      {
        from: ['running'],
        to: 'retry_scheduled',
        nextAttemptAt: new Date(Date.now() + 3_600_000),
        event: { type: 'run.retry_scheduled', data: {} },
      },
      { from: ['running'], to: 'queued', event: { type: 'attempt.abandoned', data: {} } },
      { from: ['running'], to: 'repairing', event: { type: 'run.repairing', data: {} } },
      {
        from: ['running'],
        to: 'action_needed',
        event: { type: 'run.action_needed', data: {} },
        inbox: { kind: 'unknown_failure', title: 't', reason: 'r', evidence: {}, actions: ['cancel'] },
      },
      { from: ['running'], to: 'cancelled', event: { type: 'run.cancelled', data: {} } },
    ];
    for (const t of leaving) {
      const id = await queueRun(target, { limit: 1 });
      const first = await execution.beginAttempt(workspaceId, id);
      expect(started(first), `start before ${t.to}`).toBe(true);
      // Redelivered to another worker (the first died): still running, same slot, a new attempt.
      const again = await execution.beginAttempt(workspaceId, id);
      expect(started(again) && again.attempt).toBe(2);
      expect(await slots.heldSlots(line)).toBe(1);
      const result = await execution.transition(workspaceId, id, { ...t, attempt: { number: 2, outcome } });
      expect(result?.concurrencyLimit).toBe(1);
      expect(await slots.heldSlots(line), `slot after ${t.to}`).toBe(0);
      if (t.to === 'queued') {
        // Back in line: it starts again when its turn comes, then leaves for good.
        expect(started(await execution.beginAttempt(workspaceId, id))).toBe(true);
        await execution.transition(workspaceId, id, {
          from: ['running'],
          to: 'cancelled',
          event: { type: 'run.cancelled', data: {} },
        });
      }
    }
  });

  it('names the runs at the head of a line, as many as free slots, with their priority', async () => {
    const target = await newAutomation();
    const line = { workspaceId, automationId: target.automationId, key: 'k' };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await queueRun(target, { limit: 2, key: 'k', priority: 5 }));
    const urgent = await queueRun(target, { limit: 2, key: 'k', priority: 8 });
    const heads = async () =>
      (await slots.nextInLine(line)).map((r) => ({ id: r.id, priority: r.priority, attempt: r.nextAttempt }));
    expect(await heads()).toEqual([
      { id: urgent, priority: 8, attempt: 1 },
      { id: ids[0], priority: 5, attempt: 1 },
    ]);
    expect(started(await execution.beginAttempt(workspaceId, urgent))).toBe(true);
    expect((await heads()).map((a) => a.id)).toEqual([ids[0]]);
  });

  it('purges a slot whose run is not running any more, and finds lines waiting too long', async () => {
    const target = await newAutomation();
    const id = await queueRun(target, { limit: 1 });
    expect(started(await execution.beginAttempt(workspaceId, id))).toBe(true);
    const waiting = await queueRun(target, { limit: 1 });
    // Bypass the transitions (as an old deployment or a manual fix might): the slot is left behind.
    await db.$executeRaw`UPDATE runs SET status = 'failed' WHERE id = ${id}::uuid`;
    expect(await slots.purgeOrphanSlots()).toEqual([
      { workspaceId, automationId: target.automationId, key: '' },
    ]);
    expect(await slots.purgeOrphanSlots()).toEqual([]);
    await db.$executeRaw`UPDATE runs SET updated_at = now() - interval '1 hour' WHERE id = ${waiting}::uuid`;
    const stale = await slots.findStaleLines(60_000, 100);
    expect(stale).toContainEqual({ workspaceId, automationId: target.automationId, key: '' });
    // Limited runs are left to their line; the plain stale-run query does not list them.
    const plain = await execution.findStaleWaiting(60_000, 100);
    expect(plain.map((r) => r.id)).not.toContain(waiting);
  });

  it('costs runs without a limit nothing: they start at once, hold no slot, and report no wait', async () => {
    const ids = await Promise.all(
      [1, 2, 3].map(() => queueRun({ automationId: seededAutomation, versionId })),
    );
    const results = await Promise.all(ids.map((id) => execution.beginAttempt(workspaceId, id)));
    expect(results.filter(started)).toHaveLength(3);
    for (const r of results.filter(started)) expect(r).toMatchObject({ priority: 5, concurrencyLimit: null });
    expect((await runs.get(workspaceId, ids[0]!)).slotWait).toBeNull();
    expect(await db.runSlot.count({ where: { automationId: seededAutomation } })).toBe(0);
  });
});
