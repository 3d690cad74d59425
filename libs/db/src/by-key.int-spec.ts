import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { byKeyInWorkspace } from './by-key';
import { createDb, type Db } from './database';
import { Prisma } from './generated/prisma/client';
import { RunsRepository } from './repositories/runs.repository';
import { createTestDatabase, seedAutomation, type TestDatabase } from './testing/test-database';

let database: TestDatabase;
let db: Db;
let seeded: Awaited<ReturnType<typeof seedAutomation>>;
let runIds: string[];

beforeAll(async () => {
  database = await createTestDatabase('by_key');
  db = createDb(database.url, { poolSize: 4 });
  seeded = await seedAutomation(db, 'by-key');
  const runs = new RunsRepository(db);
  runIds = [];
  // Enough runs in one workspace that a scan of it and a key look-up differ, and no ANALYZE: the
  // planner sees the table as a new install's is.
  for (let i = 0; i < 300; i++) {
    const { run } = await runs.createQueued(seeded.workspaceId, {
      automationId: seeded.automationId,
      versionId: seeded.versionId,
      trigger: 'api',
      input: { i },
    });
    runIds.push(run.id);
  }
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

/** The generic plan (what a prepared statement keeps) of `SELECT … FROM runs WHERE <condition>`. */
async function genericPlan(condition: string, values: unknown[]): Promise<string> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query('SET plan_cache_mode = force_generic_plan');
    await client.query(`PREPARE probe(uuid, uuid) AS SELECT id FROM runs WHERE ${condition}`);
    const result = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (FORMAT TEXT) EXECUTE probe('${values[0]}', '${values[1]}')`,
    );
    return result.rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}

describe('byKeyInWorkspace: one row by its key, scoped to a workspace (PostgreSQL)', () => {
  it("finds the row through the key's index, never by reading the workspace's rows", async () => {
    const condition = byKeyInWorkspace('id', runIds[150]!, seeded.workspaceId);
    const plan = await genericPlan(condition.text, condition.values);
    expect(plan).toMatch(/Index Scan using runs_pkey on runs/);
    expect(plan).toMatch(/Index Cond: \(id = \$1\)/);
  });

  it('matches only inside the given workspace', async () => {
    const id = runIds[7]!;
    const count = async (workspaceId: string) =>
      (
        await db.sql.query<{ n: number }[]>(
          Prisma.sql`SELECT count(*)::int AS n FROM runs r WHERE ${byKeyInWorkspace('id', id, workspaceId, 'r')}`,
        )
      )[0]!.n;
    expect(await count(seeded.workspaceId)).toBe(1);
    expect(await count('00000000-0000-4000-8000-000000000000')).toBe(0);
  });
});
