/**
 * ScheduleSync against the real PostgreSQL and Redis: one BullMQ job scheduler per cron trigger row,
 * following deploys, redeploys and pauses; and syncAll repairing a Redis that lost its schedulers,
 * removing orphans and leaving the maintenance queue's other schedulers alone.
 */
import { manifestSchema } from '@mendflow/common';
import { AutomationsRepository, createDb, type Db, TriggersRepository } from '@mendflow/db';
import { QueueNames, redisConnection, scheduleSchedulerId } from '@mendflow/queue';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  seedAutomation,
  type SeededAutomation,
  type TestDatabase,
} from '../../db/src/testing/test-database';
import { ScheduleSync } from './schedule-sync';
import { testRedis } from '../../queue/src/testing/test-redis';

/** Redis db 15 and a prefix of this file's own: nothing another suite uses. */
const { redisUrl, prefix } = testRedis(15, 'schedule-sync');

let database: TestDatabase;
let db: Db;
let queue: Queue;
let automations: AutomationsRepository;
let triggers: TriggersRepository;
let sync: ScheduleSync;
let seeded: SeededAutomation;

beforeAll(async () => {
  database = await createTestDatabase('schedule_sync');
  db = createDb(database.url, { poolSize: 2 });
  queue = new Queue(QueueNames.maintenance, { connection: redisConnection(redisUrl), prefix });
  automations = new AutomationsRepository(db);
  triggers = new TriggersRepository(db);
  sync = new ScheduleSync(triggers, queue);
  seeded = await seedAutomation(db, 'schedule-sync');
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await db?.$disconnect();
  await database?.drop();
});

const deploy = (automationId: string, triggerList: unknown[]) =>
  automations.addVersion(seeded.workspaceId, automationId, {
    source: 'export default async () => 1',
    language: 'javascript',
    manifest: manifestSchema.parse({ triggers: triggerList }),
    createdByKind: 'user',
    createdBy: seeded.userId,
  });
const cronRows = async (automationId: string) =>
  (await triggers.listForAutomation(seeded.workspaceId, automationId)).filter((t) => t.kind === 'cron');
const ourSchedulers = async () =>
  (await queue.getJobSchedulers())
    .filter((s) => s.key.startsWith('cron:'))
    .sort((a, b) => a.key.localeCompare(b.key));

describe('ScheduleSync', () => {
  it('writes one scheduler per cron trigger of the automation, and follows a redeploy and a pause', async () => {
    await deploy(seeded.automationId, [
      { type: 'cron', cron: '*/5 * * * *', timezone: 'Europe/Berlin' },
      { type: 'cron', cron: '0 9 * * 1' },
      { type: 'event', name: 'order.created' },
    ]);
    const first = await sync.syncAutomation(seeded.workspaceId, seeded.automationId);
    const rows = await cronRows(seeded.automationId);
    expect(first.upserted.map((t) => t.id).sort()).toEqual(rows.map((t) => t.id).sort());
    const schedulers = await ourSchedulers();
    expect(schedulers).toHaveLength(2);
    const berlin = rows.find((t) => (t.config as { cron: string }).cron === '*/5 * * * *')!;
    const scheduler = schedulers.find((s) => s.key === scheduleSchedulerId(berlin.id))!;
    expect(scheduler).toMatchObject({ name: 'schedule.tick', pattern: '*/5 * * * *', tz: 'Europe/Berlin' });
    expect(scheduler.template?.data).toEqual({
      triggerId: berlin.id,
      workspaceId: seeded.workspaceId,
      automationId: seeded.automationId,
    });
    // Every five minutes: the next job waits for the next multiple of five minutes.
    expect(scheduler.next! % (5 * 60_000)).toBe(0);

    // Nothing changed: nothing written again.
    expect(await sync.syncAutomation(seeded.workspaceId, seeded.automationId)).toEqual({
      upserted: [],
      removed: [],
    });

    // A redeploy that changes one schedule: its old scheduler goes, the new one comes, the other stays.
    await deploy(seeded.automationId, [
      { type: 'cron', cron: '*/10 * * * *', timezone: 'Europe/Berlin' },
      { type: 'cron', cron: '0 9 * * 1' },
    ]);
    const redeployed = await sync.syncAutomation(seeded.workspaceId, seeded.automationId);
    expect(redeployed.removed).toEqual([scheduleSchedulerId(berlin.id)]);
    expect(redeployed.upserted).toHaveLength(1);
    expect((await ourSchedulers()).map((s) => s.pattern).sort()).toEqual(['*/10 * * * *', '0 9 * * 1']);

    // Paused: no rows, no schedulers.
    await automations.update(seeded.workspaceId, seeded.automationId, { status: 'paused' });
    const paused = await sync.syncAutomation(seeded.workspaceId, seeded.automationId);
    expect(paused.removed).toHaveLength(2);
    expect(await ourSchedulers()).toEqual([]);
    await automations.update(seeded.workspaceId, seeded.automationId, { status: 'active' });
    await sync.syncAutomation(seeded.workspaceId, seeded.automationId);
    expect(await ourSchedulers()).toHaveLength(2);
  });

  it("leaves other automations' schedulers alone when syncing one", async () => {
    const other = await automations.create(seeded.workspaceId, {
      name: 'other-schedule',
      source: 'export default async () => 1',
      language: 'javascript',
      manifest: manifestSchema.parse({ triggers: [{ type: 'cron', cron: '0 0 * * *' }] }),
      createdByKind: 'user',
      createdBy: seeded.userId,
    });
    await sync.syncAutomation(seeded.workspaceId, other.id);
    expect(await ourSchedulers()).toHaveLength(3);
    await sync.syncAutomation(seeded.workspaceId, seeded.automationId);
    expect(await ourSchedulers()).toHaveLength(3);
  });

  it('syncAll re-creates every scheduler after Redis lost them, and removes orphans only', async () => {
    await queue.upsertJobScheduler(
      'mendflow:runs.reconcile',
      { every: 60_000 },
      { name: 'runs.reconcile', data: {} },
    );
    const orphan = scheduleSchedulerId('00000000-0000-4000-8000-000000000000');
    await queue.upsertJobScheduler(orphan, { pattern: '* * * * *' }, { name: 'schedule.tick', data: {} });
    // Redis lost our schedulers (flushed, failed over to an empty replica).
    for (const scheduler of await ourSchedulers())
      if (scheduler.key !== orphan) await queue.removeJobScheduler(scheduler.key);

    const repaired = await sync.syncAll();
    const rows = await triggers.listByKind('cron');
    expect(repaired.upserted.map((t) => t.id).sort()).toEqual(rows.map((t) => t.id).sort());
    expect(repaired.removed).toEqual([orphan]);
    expect((await ourSchedulers()).map((s) => s.key).sort()).toEqual(
      rows.map((t) => scheduleSchedulerId(t.id)).sort(),
    );
    // The reconciler's own scheduler is not a schedule's: untouched.
    expect(await queue.getJobScheduler('mendflow:runs.reconcile')).toBeDefined();

    // In step: a second pass changes nothing.
    expect(await sync.syncAll()).toEqual({ upserted: [], removed: [] });
  });
});
