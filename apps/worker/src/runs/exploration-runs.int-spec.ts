/**
 * Exploration runs (MCP execute, docs/mcp.md) through the real executor, settler, sandbox, PostgreSQL
 * and Redis: a failed attempt ends the run failed with its classification, never retried, repaired or
 * sent to the inbox, where the same script deployed would be retried.
 */
import { defaultManifest } from '@mendflow/common';
import { AutomationsRepository, createDb, type Db, RunsRepository, StatsRepository } from '@mendflow/db';
import { Sandbox } from '@mendflow/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  seedAutomation,
  type TestDatabase,
} from '../../../../libs/db/src/testing/test-database';
import { createTestEngine, type TestEngine } from '../../../../libs/engine/src/testing/test-engine';
import { testRedis } from '../../../../libs/queue/src/testing/test-redis';
import type { WorkerConfig } from '../config/worker-config';
import { testExecutor } from '../testing/test-executor';

const { redisUrl, prefix } = testRedis(13, 'mcp-exploration');

let database: TestDatabase;
let db: Db;
let sandbox: Sandbox;
let testEngine: TestEngine;
let seeded: Awaited<ReturnType<typeof seedAutomation>>;

const config = {
  REDIS_URL: redisUrl,
  REPAIR_PROVIDER: 'none',
  REPAIR_COOLDOWN_MS: 0,
  REPAIR_TOKEN_BUDGET_PER_DAY: 0,
} as WorkerConfig;

const script = (body: string) => `export default async function run(input, ctx) {\n${body}\n}\n`;

/** Runs the first attempt of `source`, as an exploration snippet or a version of a deployed automation. */
async function runOnce(source: string, kind: 'exploration' | 'deployed') {
  const manifest = defaultManifest();
  manifest.retry.maxAttempts = 3;
  const automations = new AutomationsRepository(db);
  const draft = {
    source,
    language: 'javascript' as const,
    manifest,
    createdByKind: 'user' as const,
    createdBy: seeded.userId,
  };
  const version =
    kind === 'exploration'
      ? await automations.addExplorationVersion(seeded.workspaceId, draft)
      : await automations.addVersion(seeded.workspaceId, seeded.automationId, draft);
  const runs = new RunsRepository(db);
  const { run } = await runs.createQueued(seeded.workspaceId, {
    automationId: version.automationId,
    versionId: version.id,
    trigger: kind === 'exploration' ? 'exploration' : 'api',
    input: {},
  });
  await testExecutor({ db, engine: testEngine.engine, sandbox, config }).execute({
    runId: run.id,
    workspaceId: seeded.workspaceId,
    attempt: 1,
  });
  const [attempt] = await runs.listAttempts(seeded.workspaceId, run.id);
  return {
    run: await runs.get(seeded.workspaceId, run.id),
    attempt: attempt!,
    events: (await runs.listEvents(seeded.workspaceId, run.id)).map((event) => event.type),
    inbox: await db.inboxItem.count({ where: { runId: run.id } }),
    repairs: await db.repair.count({ where: { runId: run.id } }),
  };
}

beforeAll(async () => {
  database = await createTestDatabase('mcp_exploration');
  db = createDb(database.url, { poolSize: 4 });
  seeded = await seedAutomation(db, 'exploration');
  sandbox = new Sandbox({ poolSize: 1 });
  testEngine = createTestEngine(db, { redisUrl, prefix });
});

afterAll(async () => {
  await sandbox?.close();
  await testEngine?.close();
  await db?.$disconnect();
  await database?.drop();
});

describe('exploration runs are never retried, repaired or escalated', () => {
  const transient = script(`throw new ctx.errors.TransientError('upstream busy');`);

  it('a transient failure that a deployed run retries ends an exploration run failed, classified', async () => {
    const deployed = await runOnce(transient, 'deployed');
    expect(deployed.run.status).toBe('retry_scheduled');

    const explored = await runOnce(transient, 'exploration');
    expect(explored.run).toMatchObject({ status: 'failed', trigger: 'exploration', attemptCount: 1 });
    expect(explored.attempt.classification).toMatchObject({ class: 'transient' });
    expect(explored.events).toEqual(['run.queued', 'run.running', 'run.failed']);
    expect(explored.inbox).toBe(0);
  });

  it('a logic failure ends failed with its location: no repair, no inbox item', async () => {
    const explored = await runOnce(script(`const rows = input.rows;\nreturn rows.length;`), 'exploration');
    expect(explored.run.status).toBe('failed');
    expect(explored.run.error).toMatchObject({
      name: 'TypeError',
      location: expect.stringMatching(/:3:\d+$/),
    });
    expect(explored.attempt.classification).toMatchObject({ class: 'logic' });
    expect(explored.events).toEqual(['run.queued', 'run.running', 'run.failed']);
    expect(explored.inbox).toBe(0);
    expect(explored.repairs).toBe(0);
  });

  it('stays out of the workspace stats (runs per hour, automations needing attention)', async () => {
    // After the tests above: one deployed run (retry scheduled) and two failed exploration runs.
    const stats = new StatsRepository(db);
    const [hour] = await stats.runsPerHour(seeded.workspaceId, 1);
    expect(hour).toMatchObject({ failed: 0, other: 1 });
    const attention = await stats.needingAttention(seeded.workspaceId, 10);
    expect(attention.map((row) => row.name.trim())).not.toContain('exploration');
  });
});
