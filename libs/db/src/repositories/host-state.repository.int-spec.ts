import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../database';
import { retryWhileDatabaseUnavailable } from '../errors';
import { Prisma } from '../generated/prisma/client';
import { createTestDatabase, seedAutomation, type TestDatabase } from '../testing/test-database';
import { HostStateRepository } from './host-state.repository';
import { RunsRepository } from './runs.repository';

let database: TestDatabase;
let db: Db;
let state: HostStateRepository;
let seeded: Awaited<ReturnType<typeof seedAutomation>>;
let other: Awaited<ReturnType<typeof seedAutomation>>;

beforeAll(async () => {
  database = await createTestDatabase('host_state');
  db = createDb(database.url, { poolSize: 4 });
  state = new HostStateRepository(db);
  seeded = await seedAutomation(db, 'host-state');
  other = await seedAutomation(db, 'host-state-other');
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

async function newRun(): Promise<string> {
  const { run } = await new RunsRepository(db).createQueued(seeded.workspaceId, {
    automationId: seeded.automationId,
    versionId: seeded.versionId,
    trigger: 'api',
    input: {},
  });
  return run.id;
}

describe('HostStateRepository: step results (PostgreSQL)', () => {
  it('keeps the first result of a step: writing it again, as a retry does, changes nothing', async () => {
    const runId = await newRun();
    expect(await state.getStep(seeded.workspaceId, runId, 'charge')).toEqual({ found: false });
    await state.putStep(seeded.workspaceId, runId, 'charge', 1, { id: 'ch_1', amount: 5 });
    await state.putStep(seeded.workspaceId, runId, 'charge', 2, { id: 'ch_2' });
    expect(await state.getStep(seeded.workspaceId, runId, 'charge')).toEqual({
      found: true,
      value: { id: 'ch_1', amount: 5 },
    });
    // One row, from the first write's attempt.
    const rows = await db.sql.query<{ attempt: number }[]>(
      Prisma.sql`SELECT attempt FROM run_steps WHERE run_id = ${runId}::uuid`,
    );
    expect(rows).toEqual([{ attempt: 1 }]);
  });

  it('stores a step that returned nothing as null, and finds it as stored', async () => {
    const runId = await newRun();
    await state.putStep(seeded.workspaceId, runId, 'notify', 1, undefined);
    expect(await state.getStep(seeded.workspaceId, runId, 'notify')).toEqual({ found: true, value: null });
  });

  it("finds a step in the run's own workspace only", async () => {
    const runId = await newRun();
    await state.putStep(seeded.workspaceId, runId, 'a', 1, 'done');
    expect(await state.getStep(other.workspaceId, runId, 'a')).toEqual({ found: false });
  });

  it("stores every step through the server cutting the pool's connections, when retried as the worker does", async () => {
    // What a PostgreSQL restart does to a worker's pool, without restarting the shared server: every
    // connection of this database is terminated, over and over, while steps are written. Each error
    // that surfaces must be one retryWhileDatabaseUnavailable recognises ("terminating connection",
    // "Connection terminated unexpectedly", "…is not queryable"): a step whose side effect happened
    // and whose result then failed to store would run its side effect again on the next attempt.
    const runId = await newRun();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const dbName = new URL(database.url).pathname.slice(1);
    let cutting = true;
    let cuts = 0;
    const cutter = (async () => {
      while (cutting) {
        const { rowCount } = await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [dbName],
        );
        cuts += rowCount ?? 0;
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    const names = Array.from({ length: 200 }, (_, i) => `step-${i}`);
    const outcomes = await Promise.allSettled(
      [0, 1, 2, 3].map(async (lane) => {
        for (const name of names.filter((_, i) => i % 4 === lane)) {
          await retryWhileDatabaseUnavailable(
            () => state.putStep(seeded.workspaceId, runId, name, 1, { name }),
            30_000,
          );
        }
      }),
    );
    cutting = false;
    await cutter;
    await admin.end();
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    expect(cuts).toBeGreaterThan(0);
    const stored = await db.runStep.count({ where: { runId } });
    expect(stored).toBe(names.length);
  }, 60_000);
});
