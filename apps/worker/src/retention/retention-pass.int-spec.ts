/**
 * The retention pass against real PostgreSQL and Redis: two workspaces with their own settings, runs
 * aged by setting their timestamps, and exactly which rows of each table remain afterwards — with a
 * batch size far below the data, so it takes several batches.
 */
import { RETENTION_DEFAULTS, type RetentionSettings } from '@mendflow/contracts';
import { AutomationsRepository, createDb, type Db, RetentionRepository } from '@mendflow/db';
import { defaultManifest } from '@mendflow/common';
import { QueueNames, redisConnection } from '@mendflow/queue';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  seedAutomation,
  type TestDatabase,
} from '../../../../libs/db/src/testing/test-database';
import { testRedis } from '../../../../libs/queue/src/testing/test-redis';
import { WorkerMetrics } from '../health/worker-metrics';
import { RETENTION_SCHEDULER_ID, RetentionPass } from './retention-pass.service';

const { redisUrl, prefix } = testRedis(12, 'retention');
const DAY = 86_400_000;
const NOW = new Date();
const ago = (days: number, minutes = 0) => new Date(NOW.getTime() - days * DAY - minutes * 60_000);

let database: TestDatabase;
let db: Db;
let maintenance: Queue;
let repository: RetentionRepository;

beforeAll(async () => {
  database = await createTestDatabase('retention');
  db = createDb(database.url, { poolSize: 4 });
  repository = new RetentionRepository(db);
  maintenance = new Queue(QueueNames.maintenance, { connection: redisConnection(redisUrl), prefix });
});

afterAll(async () => {
  await maintenance?.obliterate({ force: true });
  await maintenance?.close();
  await db?.$disconnect();
  await database?.drop();
});

function pass(batchSize: number, budgetMs = 60_000, intervalMs = 900_000) {
  return new RetentionPass(
    repository,
    maintenance,
    {
      RETENTION_BATCH_SIZE: batchSize,
      RETENTION_TIME_BUDGET_MS: budgetMs,
      RETENTION_INTERVAL_MS: intervalMs,
    },
    new WorkerMetrics(),
  );
}

interface Target {
  workspaceId: string;
  automationId: string;
  versionId: string;
}

/**
 * A run with an attempt (logs and recording), two events and a step, created a minute before it
 * finished (or, when it is not finished, `days` ago).
 */
async function run(
  target: Target,
  status: string,
  days: number,
  options: { trigger?: string; minutes?: number } = {},
): Promise<string> {
  const finished = ['succeeded', 'failed', 'cancelled'].includes(status);
  const at = ago(days, options.minutes ?? 0);
  const created = new Date(at.getTime() - 60_000);
  const [row] = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO runs (workspace_id, automation_id, version_id, status, trigger, created_at, updated_at,
                      finished_at, last_seq)
    VALUES (${target.workspaceId}::uuid, ${target.automationId}::uuid, ${target.versionId}::uuid, ${status},
            ${options.trigger ?? 'api'}, ${created}, ${at}, ${finished ? at : null}, 2)
    RETURNING id`;
  const id = row!.id;
  await db.$executeRaw`
    INSERT INTO run_attempts (workspace_id, run_id, number, version_id, status, logs, recording, started_at)
    VALUES (${target.workspaceId}::uuid, ${id}::uuid, 1, ${target.versionId}::uuid, 'succeeded',
            '[{"level":"info","message":"hello"}]'::jsonb, '{"fetches":[]}'::jsonb, ${created})`;
  await db.$executeRaw`
    INSERT INTO run_events (workspace_id, run_id, seq, type, created_at)
    VALUES (${target.workspaceId}::uuid, ${id}::uuid, 1, 'run.queued', ${created}),
           (${target.workspaceId}::uuid, ${id}::uuid, 2, 'run.running', ${created})`;
  await db.$executeRaw`
    INSERT INTO run_steps (workspace_id, run_id, name, value, attempt)
    VALUES (${target.workspaceId}::uuid, ${id}::uuid, 'step', '1'::jsonb, 1)`;
  return id;
}

async function inboxItem(target: Target, runId: string, status: string): Promise<string> {
  const [row] = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO inbox_items (workspace_id, run_id, automation_id, kind, title, reason, actions, status)
    VALUES (${target.workspaceId}::uuid, ${runId}::uuid, ${target.automationId}::uuid, 'retries_exhausted',
            't', 'r', ARRAY['retry'], ${status})
    RETURNING id`;
  return row!.id;
}

async function repair(target: Target, runId: string, status: string): Promise<string> {
  const [row] = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO repairs (workspace_id, automation_id, run_id, attempt, base_version_id, status, provider)
    VALUES (${target.workspaceId}::uuid, ${target.automationId}::uuid, ${runId}::uuid, 1,
            ${target.versionId}::uuid, ${status}, 'webhook')
    RETURNING id`;
  return row!.id;
}

async function secretRequest(workspaceId: string, status: string, days: number): Promise<string> {
  const at = ago(days);
  const [row] = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO secret_requests (workspace_id, name, purpose, status, created_at, fulfilled_at)
    VALUES (${workspaceId}::uuid, ${`S${days}${status}`}, 'p', ${status}, ${at},
            ${status === 'fulfilled' ? at : null})
    RETURNING id`;
  return row!.id;
}

async function emitted(
  workspaceId: string,
  days: number,
  options: { sourceRunId?: string; routed?: boolean } = {},
): Promise<string> {
  const at = ago(days);
  const [row] = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO emitted_events (workspace_id, name, source_run_id, source_key, routed_at, created_at)
    VALUES (${workspaceId}::uuid, 'order.placed', ${options.sourceRunId ?? null}::uuid,
            ${options.sourceRunId ? '0:order.placed' : null}, ${options.routed === false ? null : at}, ${at})
    RETURNING id`;
  return row!.id;
}

async function audit(workspaceId: string, days: number): Promise<string> {
  const [row] = await db.$queryRaw<{ id: bigint }[]>`
    INSERT INTO audit_log (workspace_id, actor_kind, action, target_kind, target_id, created_at)
    VALUES (${workspaceId}::uuid, 'system', 'test.entry', 'workspace', ${workspaceId}, ${ago(days)})
    RETURNING id`;
  return row!.id.toString();
}

async function delivery(target: Target, runId: string): Promise<string> {
  const [channel] = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO notification_channels (workspace_id, name, kind, config, topics)
    VALUES (${target.workspaceId}::uuid, ${`c-${runId}`}, 'webhook', '{}'::jsonb, ARRAY['run.failed'])
    RETURNING id`;
  const [row] = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO notification_deliveries (workspace_id, channel_id, topic, subject_id, run_id, status, message)
    VALUES (${target.workspaceId}::uuid, ${channel!.id}::uuid, 'run.failed', ${runId}::uuid, ${runId}::uuid,
            'delivered', '{}'::jsonb)
    RETURNING id`;
  return row!.id;
}

async function secondAutomation(workspaceId: string, userId: string, name: string): Promise<Target> {
  const automation = await new AutomationsRepository(db).create(workspaceId, {
    name,
    source: 'export default async () => 1',
    language: 'javascript',
    manifest: defaultManifest(),
    createdByKind: 'user',
    createdBy: userId,
  });
  return { workspaceId, automationId: automation.id, versionId: automation.deployedVersion!.id };
}

/** The ids left in a table for a workspace, sorted. */
async function ids(table: string, workspaceId: string): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<{ id: string }[]>(
    `SELECT id::text AS id FROM ${table} WHERE workspace_id = $1::uuid ORDER BY id`,
    workspaceId,
  );
  return rows.map((r) => r.id);
}

/** The run ids a per-run table still holds rows of, sorted and distinct. */
async function runIdsIn(table: string, workspaceId: string): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<{ id: string }[]>(
    `SELECT DISTINCT run_id::text AS id FROM ${table} WHERE workspace_id = $1::uuid ORDER BY 1`,
    workspaceId,
  );
  return rows.map((r) => r.id);
}

const sorted = (list: string[]) => [...list].sort();

async function setSettings(workspaceId: string, settings: RetentionSettings) {
  expect(await repository.updateSettings(workspaceId, settings)).toEqual({ before: RETENTION_DEFAULTS });
}

describe('RetentionPass (PostgreSQL, Redis)', () => {
  it('deletes exactly what each workspace lets go, in batches, and a second pass deletes nothing', async () => {
    // Workspace A: runs 30 days, the newest 2 per automation kept, audit 60 days.
    const seededA = await seedAutomation(db, 'retention-a');
    const a1: Target = seededA;
    const a2 = await secondAutomation(seededA.workspaceId, seededA.userId, 'explore');
    await setSettings(seededA.workspaceId, {
      runRetentionDays: 30,
      keepRunsPerAutomation: 2,
      auditRetentionDays: 60,
    });
    // Workspace B: runs 10 days, none kept regardless, audit 20 days.
    const seededB = await seedAutomation(db, 'retention-b');
    const b1: Target = seededB;
    await setSettings(seededB.workspaceId, {
      runRetentionDays: 10,
      keepRunsPerAutomation: 0,
      auditRetentionDays: 20,
    });
    const ws = seededA.workspaceId;

    // A1, oldest first. The two newest (by creation) are the recent ones, so keep=2 protects nothing old here.
    const oldSucceeded = await run(a1, 'succeeded', 40, { minutes: 9 });
    const oldFailed = await run(a1, 'failed', 40, { minutes: 8 });
    const oldCancelled = await run(a1, 'cancelled', 35);
    const withOpenInbox = await run(a1, 'failed', 40, { minutes: 7 });
    const openItem = await inboxItem(a1, withOpenInbox, 'open');
    const withResolvedInbox = await run(a1, 'failed', 40, { minutes: 6 });
    await inboxItem(a1, withResolvedInbox, 'resolved');
    const withPendingRepair = await run(a1, 'failed', 40, { minutes: 5 });
    const pendingRepair = await repair(a1, withPendingRepair, 'awaiting_approval');
    const withFailedRepair = await run(a1, 'failed', 40, { minutes: 4 });
    await repair(a1, withFailedRepair, 'failed');
    const withDeployedRepair = await run(a1, 'failed', 40, { minutes: 3 });
    const deployedRepair = await repair(a1, withDeployedRepair, 'deployed');
    const actionNeeded = await run(a1, 'action_needed', 40, { minutes: 2 });
    const queued = await run(a1, 'queued', 40, { minutes: 1 });
    const waiting = await run(a1, 'waiting', 39);
    const retrying = await run(a1, 'retry_scheduled', 39);
    const running = await run(a1, 'running', 38);
    const recentFailed = await run(a1, 'failed', 29);
    const recentSucceeded = await run(a1, 'succeeded', 5);
    await delivery(a1, oldFailed);
    const keptDelivery = await delivery(a1, recentFailed);
    await emitted(ws, 40, { sourceRunId: oldSucceeded });
    const emittedByRecent = await emitted(ws, 29, { sourceRunId: recentFailed });

    // A2 (exploration snippets): five runs finished 40 days ago; the newest two are kept by keep=2.
    const explore: string[] = [];
    for (let i = 5; i >= 1; i--)
      explore.push(await run(a2, 'succeeded', 40, { minutes: i, trigger: 'exploration' }));

    // Events posted through the API, secret requests, audit entries.
    await emitted(ws, 40);
    const postedUnrouted = await emitted(ws, 40, { routed: false });
    const postedRecent = await emitted(ws, 29);
    await secretRequest(ws, 'fulfilled', 40);
    const openOld = await secretRequest(ws, 'open', 40);
    const fulfilledRecent = await secretRequest(ws, 'fulfilled', 29);
    await audit(ws, 70);
    const auditKept = await audit(ws, 50);

    // Workspace B: 15-day-old runs go under its 10 days (they would stay under A's 30), even the newest.
    for (let i = 4; i >= 1; i--) await run(b1, 'succeeded', 15, { minutes: i });
    const bRecent = await run(b1, 'succeeded', 5);
    await audit(b1.workspaceId, 25);
    const bAuditKept = await audit(b1.workspaceId, 15);

    const goneA = [
      oldSucceeded,
      oldFailed,
      oldCancelled,
      withResolvedInbox,
      withFailedRepair,
      withDeployedRepair,
      explore[0]!,
      explore[1]!,
      explore[2]!,
    ];
    const keptA = [
      withOpenInbox,
      withPendingRepair,
      actionNeeded,
      queued,
      waiting,
      retrying,
      running,
      recentFailed,
      recentSucceeded,
      explore[3]!,
      explore[4]!,
    ];
    // What the dashboard shows as due is what the pass then deletes.
    expect(await repository.countDue(ws, await repository.getSettings(ws).then((s) => s!), NOW)).toEqual({
      runs: goneA.length,
      auditEntries: 1,
    });
    expect(
      await repository.countDue(b1.workspaceId, (await repository.getSettings(b1.workspaceId))!, NOW),
    ).toEqual({ runs: 4, auditEntries: 1 });

    const result = await pass(2).prune(NOW);

    // Batches of 2: A deletes 9 runs (2+2+2+2+1), then one batch each of posted events, secret
    // requests and audit entries; B deletes 4 runs (2+2, then an empty batch) and three one-batch kinds.
    expect(result.batches).toBe(5 + 3 + (3 + 3));
    expect(result.stoppedEarly).toBe(false);
    expect(result.workspaces).toBe(2);
    expect(result.deleted).toEqual({
      runs: 13,
      attempts: 13,
      events: 26,
      steps: 13,
      inbox_items: 1,
      repairs: 1,
      notification_deliveries: 1,
      emitted_events: 2,
      secret_requests: 1,
      audit_entries: 2,
    });

    // Workspace A, table by table.
    expect(await ids('runs', ws)).toEqual(sorted(keptA));
    for (const table of ['run_attempts', 'run_events', 'run_steps']) {
      expect(await runIdsIn(table, ws)).toEqual(sorted(keptA));
    }
    expect(await db.runEvent.count({ where: { workspaceId: ws } })).toBe(keptA.length * 2);
    expect(await ids('inbox_items', ws)).toEqual([openItem]);
    // The pending repair keeps its run; the deployed one stays (it explains a version) though its run went.
    expect(await ids('repairs', ws)).toEqual(sorted([pendingRepair, deployedRepair]));
    expect(await ids('notification_deliveries', ws)).toEqual([keptDelivery]);
    expect(await ids('emitted_events', ws)).toEqual(sorted([emittedByRecent, postedUnrouted, postedRecent]));
    expect(await ids('secret_requests', ws)).toEqual(sorted([openOld, fulfilledRecent]));
    expect(await ids('audit_log', ws)).toEqual([auditKept]);

    // Workspace B.
    expect(await ids('runs', b1.workspaceId)).toEqual([bRecent]);
    expect(await runIdsIn('run_events', b1.workspaceId)).toEqual([bRecent]);
    expect(await runIdsIn('run_attempts', b1.workspaceId)).toEqual([bRecent]);
    expect(await ids('audit_log', b1.workspaceId)).toEqual([bAuditKept]);

    // Nothing more is due; a later pass deletes nothing.
    expect(await repository.countDue(ws, (await repository.getSettings(ws))!, NOW)).toEqual({
      runs: 0,
      auditEntries: 0,
    });
    await db.$executeRaw`UPDATE workspaces SET retention_checked_at = NULL`;
    const again = await pass(2).prune(NOW);
    expect(Object.values(again.deleted).every((n) => n === 0)).toBe(true);
    expect(again.workspaces).toBe(2);
  });

  it('stops when its time budget is spent and starts the next pass with the workspace it left', async () => {
    const seeded = await seedAutomation(db, 'retention-budget');
    await setSettings(seeded.workspaceId, {
      runRetentionDays: 1,
      keepRunsPerAutomation: 0,
      auditRetentionDays: 1,
    });
    const old = await run(seeded, 'succeeded', 3);
    await db.$executeRaw`UPDATE workspaces SET retention_checked_at = now() WHERE id <> ${seeded.workspaceId}::uuid`;
    await db.$executeRaw`UPDATE workspaces SET retention_checked_at = NULL WHERE id = ${seeded.workspaceId}::uuid`;

    const spent = await pass(500, 0).prune(NOW);
    expect(spent).toMatchObject({ stoppedEarly: true, workspaces: 0, batches: 0 });
    expect(await ids('runs', seeded.workspaceId)).toEqual([old]);
    // Left unmarked: it heads the list of the next pass.
    expect((await repository.listUnchecked(new Date(), 1)).map((w) => w.id)).toEqual([seeded.workspaceId]);

    const next = await pass(500).prune(NOW);
    expect(next.deleted.runs).toBe(1);
    expect(await ids('runs', seeded.workspaceId)).toEqual([]);
  });

  it('leaves a workspace whose stored settings are out of bounds alone', async () => {
    const seeded = await seedAutomation(db, 'retention-bad');
    await db.$executeRaw`UPDATE workspaces SET run_retention_days = 0, keep_runs_per_automation = 0
                         WHERE id = ${seeded.workspaceId}::uuid`;
    const id = await run(seeded, 'succeeded', 3);
    await pass(500).prune(NOW);
    expect(await ids('runs', seeded.workspaceId)).toEqual([id]);
  });

  it('schedules one pass per interval, and RETENTION_INTERVAL_MS=0 removes the schedule', async () => {
    const workers = [pass(500, 1000, 60_000), pass(500, 1000, 60_000)];
    try {
      for (const worker of workers) await worker.onApplicationBootstrap();
      expect(await maintenance.getJobSchedulers()).toEqual([
        expect.objectContaining({ key: RETENTION_SCHEDULER_ID, name: 'retention.prune', every: 60_000 }),
      ]);
      await pass(500, 1000, 0).onApplicationBootstrap();
      expect(await maintenance.getJobSchedulers()).toEqual([]);
    } finally {
      for (const worker of workers) worker.onApplicationShutdown();
    }
  });

  it('writes its schedule again after Redis lost its data', async () => {
    const worker = pass(500, 1000, 60_000);
    try {
      await worker.onApplicationBootstrap();
      expect(await worker.keepScheduler()).toBe(false); // there: nothing written
      await maintenance.obliterate({ force: true });
      expect(await maintenance.getJobScheduler(RETENTION_SCHEDULER_ID)).toBeUndefined();
      expect(await worker.keepScheduler()).toBe(true);
      expect(await maintenance.getJobScheduler(RETENTION_SCHEDULER_ID)).toMatchObject({ every: 60_000 });
    } finally {
      worker.onApplicationShutdown();
      await maintenance.removeJobScheduler(RETENTION_SCHEDULER_ID);
    }
  });
});
