import { defaultManifest } from '@mendflow/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../database';
import { createTestDatabase, seedAutomation, type TestDatabase } from '../testing/test-database';
import { AutomationsRepository } from './automations.repository';
import { RunsRepository } from './runs.repository';
import { StatsRepository } from './stats.repository';

let database: TestDatabase;
let db: Db;
let stats: StatsRepository;
let workspaceId: string;
let busy: { automationId: string; versionId: string };
let quiet: { automationId: string; versionId: string };
let idle: string;

/** A run of `automation` with `status`, created `hoursAgo` hours before the current hour's start (+1 min). */
async function runAt(
  automation: { automationId: string; versionId: string },
  status: string,
  hoursAgo: number,
  trigger: 'api' | 'exploration' = 'api',
): Promise<string> {
  const { run } = await new RunsRepository(db).createQueued(workspaceId, {
    ...automation,
    trigger,
    input: null,
  });
  await db.$executeRaw`
    UPDATE runs SET status = ${status},
      created_at = date_trunc('hour', now()) - make_interval(hours => ${hoursAgo}) + interval '1 minute'
    WHERE id = ${run.id}::uuid`;
  return run.id;
}

async function inboxItem(automationId: string, runId: string, status: 'open' | 'resolved'): Promise<void> {
  await db.$executeRaw`
    INSERT INTO inbox_items (workspace_id, run_id, automation_id, kind, title, reason, actions, status)
    VALUES (${workspaceId}::uuid, ${runId}::uuid, ${automationId}::uuid, 'retries_exhausted', 't', 'r',
            ARRAY['retry', 'cancel'], ${status})`;
}

beforeAll(async () => {
  database = await createTestDatabase('stats');
  db = createDb(database.url, { poolSize: 4 });
  stats = new StatsRepository(db);
  const seeded = await seedAutomation(db, 'stats-busy');
  workspaceId = seeded.workspaceId;
  busy = seeded;
  const automations = new AutomationsRepository(db);
  const create = async (name: string) => {
    const made = await automations.create(workspaceId, {
      name,
      source: 'export default async () => 1',
      language: 'javascript',
      manifest: defaultManifest(),
      createdByKind: 'user',
      createdBy: seeded.userId,
    });
    return { automationId: made.id, versionId: made.deployedVersion!.id };
  };
  quiet = await create('stats-quiet');
  idle = (await create('stats-idle')).automationId;
  // Another workspace's runs count nowhere here.
  const other = await seedAutomation(db, 'stats-other');
  await new RunsRepository(db).createQueued(other.workspaceId, { ...other, trigger: 'api', input: null });

  for (const [status, hoursAgo] of [
    ['succeeded', 0],
    ['succeeded', 0],
    ['failed', 0],
    ['action_needed', 1],
    ['cancelled', 2],
    ['running', 2],
    ['succeeded', 3], // outside a 3-hour window
    ['failed', 30], // outside 24 hours
    ['succeeded', -2], // ahead of the clock: in no hour of the window
  ] as const) {
    await runAt(busy, status, hoursAgo);
  }
  await runAt(busy, 'failed', 0, 'exploration');
  const needsPerson = await runAt(quiet, 'action_needed', 5);
  await inboxItem(quiet.automationId, needsPerson, 'open');
  await inboxItem(quiet.automationId, needsPerson, 'open');
  await inboxItem(quiet.automationId, needsPerson, 'resolved');
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('StatsRepository (PostgreSQL)', () => {
  it('counts runs per hour of the window by outcome, empty hours included, exploration and later runs left out', async () => {
    const hours = await stats.runsPerHour(workspaceId, 3);
    expect(hours).toHaveLength(3);
    const [two, one, current] = hours;
    expect(current).toMatchObject({ succeeded: 2, failed: 1, actionNeeded: 0, other: 0 });
    expect(one).toMatchObject({ succeeded: 0, failed: 0, actionNeeded: 1, other: 0 });
    expect(two).toMatchObject({ succeeded: 0, failed: 1, actionNeeded: 0, other: 1 });
    expect(current!.hour.getTime() - two!.hour.getTime()).toBe(2 * 3600_000);
    const day = await stats.runsPerHour(workspaceId, 24);
    expect(day).toHaveLength(24);
    expect(day.reduce((n, h) => n + h.succeeded + h.failed + h.actionNeeded + h.other, 0)).toBe(8);
  });

  it('agrees with counting every run of the workspace by its hour (the query it replaced)', async () => {
    const reference = await db.$queryRaw<unknown[]>`
      SELECT h.hour,
             count(r.id) FILTER (WHERE r.status = 'succeeded')::int AS succeeded,
             count(r.id) FILTER (WHERE r.status IN ('failed', 'cancelled'))::int AS failed,
             count(r.id) FILTER (WHERE r.status = 'action_needed')::int AS "actionNeeded",
             count(r.id) FILTER (WHERE r.status NOT IN ('succeeded', 'failed', 'cancelled', 'action_needed'))::int AS other
      FROM generate_series(date_trunc('hour', now()) - make_interval(hours => 47), date_trunc('hour', now()), interval '1 hour') AS h(hour)
      LEFT JOIN runs r ON r.workspace_id = ${workspaceId}::uuid AND date_trunc('hour', r.created_at) = h.hour
        AND r.trigger <> 'exploration'
      GROUP BY h.hour ORDER BY h.hour`;
    expect(await stats.runsPerHour(workspaceId, 48)).toEqual(reference);
  });

  it('lists the automations needing attention with their open items and recent failures, worst first', async () => {
    const attention = await stats.needingAttention(workspaceId, 10);
    expect(attention).toEqual([
      { automationId: quiet.automationId, name: 'stats-quiet', openInboxItems: 2, failedLast24h: 1 },
      // Counted by automation: the exploration run is one here (in the product those live in the hidden
      // exploration automation, which the list skips).
      { automationId: busy.automationId, name: 'stats-busy', openInboxItems: 0, failedLast24h: 3 },
    ]);
  });

  it('gives each automation its last run, its week and its open items', async () => {
    const found = await stats.forAutomations(workspaceId, [busy.automationId, quiet.automationId, idle]);
    expect(found.get(quiet.automationId)).toMatchObject({
      openInboxItems: 2,
      runsLast7Days: 1,
      successRate: 0,
    });
    // The busy one's week: all 10 runs (the 30-hour-old one included), 9 finished, 4 of them succeeded.
    expect(found.get(busy.automationId)).toMatchObject({
      openInboxItems: 0,
      runsLast7Days: 10,
      successRate: 4 / 9,
    });
    expect(found.get(idle)).toMatchObject({
      lastRun: null,
      runsLast7Days: 0,
      openInboxItems: 0,
      successRate: null,
    });
  });
});
