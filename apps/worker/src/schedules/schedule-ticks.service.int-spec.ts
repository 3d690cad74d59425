/**
 * Schedule ticks against the real PostgreSQL and Redis: a tick becomes one run (however often it is
 * delivered), a tick of a trigger gone does nothing, overlap 'skip' skips while the previous scheduled
 * run goes and 'queue' lines runs up behind each other, a late tick is skipped (catchUp 'none') or runs
 * the latest tick once ('latest'), and a lost scheduler's missed tick is caught up once.
 */
import { manifestSchema } from '@mendflow/common';
import {
  AutomationsRepository,
  createDb,
  type Db,
  RunExecutionRepository,
  RunsRepository,
  TriggersRepository,
} from '@mendflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  seedAutomation,
  type SeededAutomation,
  type TestDatabase,
} from '../../../../libs/db/src/testing/test-database';
import { createTestEngine, type TestEngine } from '../../../../libs/engine/src/testing/test-engine';
import { WorkerMetrics } from '../health/worker-metrics';
import { ScheduleTicks } from './schedule-ticks.service';
import { testRedis } from '../../../../libs/queue/src/testing/test-redis';

/** Redis db 15 and a prefix of this file's own: nothing another suite uses. */
const { redisUrl, prefix } = testRedis(15, 'ticks');

let database: TestDatabase;
let db: Db;
let testEngine: TestEngine;
let automations: AutomationsRepository;
let triggers: TriggersRepository;
let runs: RunsRepository;
let ticks: ScheduleTicks;
let seeded: SeededAutomation;

beforeAll(async () => {
  database = await createTestDatabase('schedule_ticks');
  db = createDb(database.url, { poolSize: 4 });
  testEngine = createTestEngine(db, { redisUrl, prefix });
  automations = new AutomationsRepository(db);
  triggers = new TriggersRepository(db);
  runs = new RunsRepository(db);
  ticks = new ScheduleTicks(triggers, automations, runs, testEngine.engine, new WorkerMetrics());
  seeded = await seedAutomation(db, 'schedule-ticks');
});

afterAll(async () => {
  await testEngine?.close();
  await db?.$disconnect();
  await database?.drop();
});

let counter = 0;
/** A new automation with one cron trigger; returns its trigger row. */
async function scheduled(trigger: Record<string, unknown>, manifest: Record<string, unknown> = {}) {
  const automation = await automations.create(seeded.workspaceId, {
    name: `scheduled-${++counter}`,
    source: 'export default async () => 1',
    language: 'javascript',
    manifest: manifestSchema.parse({
      ...manifest,
      triggers: [{ type: 'cron', cron: '* * * * *', ...trigger }],
    }),
    createdByKind: 'user',
    createdBy: seeded.userId,
  });
  const [row] = await triggers.listForAutomation(seeded.workspaceId, automation.id);
  return {
    ...row!,
    payload: { triggerId: row!.id, workspaceId: seeded.workspaceId, automationId: automation.id },
  };
}

const runsOf = (automationId: string) =>
  db.run.findMany({ where: { automationId }, orderBy: { createdAt: 'asc' } });

/** A minute boundary a little in the past, and "now" a moment after it. */
const minute = (offset = 0) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + offset * 60_000);
const at = (tick: Date, lateMs: number) => new Date(tick.getTime() + lateMs);

describe('ScheduleTicks.tick', () => {
  it('creates one cron run per tick, with the tick as its trigger context, however often it is delivered', async () => {
    const trigger = await scheduled({ overlap: 'allow', input: { report: 'daily' } });
    const tick = minute(-1);
    const first = await ticks.tick(trigger.payload, tick, at(tick, 40));
    const again = await ticks.tick(trigger.payload, tick, at(tick, 900));
    expect(first.outcome).toBe('run_created');
    expect(again).toEqual(first);
    const [run, ...more] = await runsOf(trigger.automationId);
    expect(more).toEqual([]);
    expect(run).toMatchObject({
      trigger: 'cron',
      input: { report: 'daily' },
      idempotencyKey: `cron:${trigger.id}:${tick.toISOString()}`,
      triggerContext: { kind: 'cron', triggerId: trigger.id, scheduledAt: tick.toISOString() },
    });
    const row = await triggers.get(trigger.id);
    expect(row).toMatchObject({ lastTickAt: tick, lastRunId: run!.id, lastTickOutcome: 'run_created' });
    // The started attempt carries the context the executor turns into ctx.run.scheduledAt.
    const started = await new RunExecutionRepository(db).beginAttempt(seeded.workspaceId, run!.id);
    expect(started && 'triggerContext' in started && started.triggerContext).toEqual(run!.triggerContext);
  });

  it('does nothing for a trigger that is gone (the automation was paused)', async () => {
    const trigger = await scheduled({});
    await automations.update(seeded.workspaceId, trigger.automationId, { status: 'paused' });
    const tick = minute(-1);
    expect(await ticks.tick(trigger.payload, tick, at(tick, 10))).toEqual({ outcome: 'gone' });
    expect(await runsOf(trigger.automationId)).toEqual([]);
  });

  it("overlap 'skip' skips a tick while the previous scheduled run is not finished, and records it", async () => {
    const trigger = await scheduled({ overlap: 'skip' });
    const one = minute(-2);
    const two = minute(-1);
    expect((await ticks.tick(trigger.payload, one, at(one, 10))).outcome).toBe('run_created');
    expect(await ticks.tick(trigger.payload, two, at(two, 10))).toEqual({
      outcome: 'skipped_overlap',
      scheduledAt: two,
    });
    expect(await runsOf(trigger.automationId)).toHaveLength(1);
    expect(await triggers.get(trigger.id)).toMatchObject({
      lastTickAt: two,
      lastTickOutcome: 'skipped_overlap',
    });
    // The first run finished: the next tick runs.
    await db.run.updateMany({ where: { automationId: trigger.automationId }, data: { status: 'succeeded' } });
    const three = minute(0);
    expect((await ticks.tick(trigger.payload, three, at(three, 10))).outcome).toBe('run_created');
  });

  it("overlap 'queue' lines each tick's run up in the schedule's own line of one", async () => {
    const trigger = await scheduled({ overlap: 'queue' });
    const one = minute(-2);
    const two = minute(-1);
    await ticks.tick(trigger.payload, one, at(one, 10));
    await ticks.tick(trigger.payload, two, at(two, 10));
    const queued = await runsOf(trigger.automationId);
    expect(queued).toHaveLength(2);
    for (const run of queued)
      expect(run).toMatchObject({ concurrencyLimit: 1, concurrencyKey: `schedule:${trigger.id}` });
  });

  it("a missed tick (later than its grace) is skipped with catchUp 'none'", async () => {
    const trigger = await scheduled({ catchUp: 'none' });
    const tick = minute(-10);
    expect(await ticks.tick(trigger.payload, tick, at(tick, 61_000))).toEqual({
      outcome: 'skipped_missed',
      scheduledAt: tick,
    });
    expect(await runsOf(trigger.automationId)).toEqual([]);
    expect(await triggers.get(trigger.id)).toMatchObject({
      lastTickAt: tick,
      lastTickOutcome: 'skipped_missed',
    });
  });

  it("a missed tick runs the latest tick once with catchUp 'latest'", async () => {
    const trigger = await scheduled({ catchUp: 'latest', overlap: 'allow' });
    const missed = minute(-10);
    const now = at(minute(-1), 30_000);
    const first = await ticks.tick(trigger.payload, missed, now);
    expect(first).toMatchObject({ outcome: 'run_created', scheduledAt: minute(-1), catchUp: true });
    // Another late delivery in the same downtime: the latest tick ran already.
    expect(await ticks.tick(trigger.payload, at(missed, 60_000), now)).toEqual({ outcome: 'ignored' });
    expect(await runsOf(trigger.automationId)).toHaveLength(1);
  });
});

describe('ScheduleTicks.catchUp (a lost scheduler written again)', () => {
  it("runs the most recent tick since the trigger was armed once, for catchUp 'latest' only", async () => {
    const latest = await scheduled({ catchUp: 'latest' });
    const none = await scheduled({ catchUp: 'none' });
    // Armed long ago: ticks came and went while Redis had no scheduler.
    await db.$executeRaw`UPDATE automation_triggers SET armed_at = now() - interval '1 hour'`;
    const now = new Date();
    const caught = await ticks.catchUp(latest.id, now);
    const lastMinute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    expect(caught).toMatchObject({ outcome: 'run_created', catchUp: true, scheduledAt: lastMinute });
    expect(await ticks.catchUp(latest.id, now)).toEqual({ outcome: 'ignored' });
    expect(await runsOf(latest.automationId)).toHaveLength(1);
    expect(await ticks.catchUp(none.id, now)).toEqual({ outcome: 'ignored' });
    expect(await runsOf(none.automationId)).toEqual([]);
  });
});
