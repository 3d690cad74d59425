// Benchmark (not a test): the retention pass's run deletes alone, against a fresh database migrated like
// the real one. Seeds BENCH_RETENTION_RUNS aged runs (default 20,000), each with an attempt holding logs
// and a recording, BENCH_RETENTION_EVENTS events (default 4) and a step, plus 1,000 recent runs that stay;
// then deletes in batches of BENCH_RETENTION_BATCH (default 500) as the pass does. Prints the total time,
// rows per second and the slowest batch (the longest any one transaction held its locks).
//   npm run bench:retention
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const db = require('../libs/db/dist/index.js');
const { createTestDatabase, seedAutomation } = require('../libs/db/dist/testing/test-database.js');

const RUNS = Number(process.env.BENCH_RETENTION_RUNS ?? 20_000);
const EVENTS = Number(process.env.BENCH_RETENTION_EVENTS ?? 4);
const BATCH = Number(process.env.BENCH_RETENTION_BATCH ?? 500);
const KEPT = 1000;

const database = await createTestDatabase('bench_retention');
const client = db.createDb(database.url, { poolSize: 2 });
try {
  const seeded = await seedAutomation(client, 'bench-retention');
  const seed = async (count, daysAgo) => {
    await client.$executeRawUnsafe(
      `INSERT INTO runs (workspace_id, automation_id, version_id, status, trigger, created_at, updated_at, finished_at, last_seq)
       SELECT $1::uuid, $2::uuid, $3::uuid, 'succeeded', 'api', t, t, t, $5
       FROM (SELECT now() - make_interval(days => $4) - make_interval(secs => g) AS t FROM generate_series(1, $6) g) s`,
      seeded.workspaceId,
      seeded.automationId,
      seeded.versionId,
      daysAgo,
      EVENTS,
      count,
    );
  };
  const started = Date.now();
  await seed(RUNS, 40);
  await seed(KEPT, 1);
  await client.$executeRawUnsafe(
    `INSERT INTO run_attempts (workspace_id, run_id, number, version_id, status, logs, recording)
     SELECT workspace_id, id, 1, version_id, 'succeeded',
            '[{"level":"info","message":"fetched 20 orders"},{"level":"info","message":"done"}]'::jsonb,
            '{"version":1,"calls":[{"kind":"fetch","url":"https://example.test/orders","status":200}]}'::jsonb
     FROM runs`,
  );
  await client.$executeRawUnsafe(
    `INSERT INTO run_events (workspace_id, run_id, seq, type, data)
     SELECT r.workspace_id, r.id, s, 'run.log', '{"message":"a line"}'::jsonb FROM runs r, generate_series(1, $1) s`,
    EVENTS,
  );
  await client.$executeRawUnsafe(
    `INSERT INTO run_steps (workspace_id, run_id, name, value, attempt) SELECT workspace_id, id, 'fetch', '1'::jsonb, 1 FROM runs`,
  );
  await client.$executeRawUnsafe('ANALYZE');
  console.log(
    `seeded ${RUNS} aged + ${KEPT} recent runs (${EVENTS} events, 1 attempt, 1 step each) in ${Date.now() - started} ms`,
  );

  const retention = new db.RetentionRepository(client);
  const settings = { runRetentionDays: 30, keepRunsPerAutomation: 100, auditRetentionDays: 365 };
  const now = new Date();
  const t0 = Date.now();
  let runs = 0;
  let events = 0;
  let batches = 0;
  let slowest = 0;
  for (;;) {
    const b0 = Date.now();
    const gone = await retention.deleteRunBatch(seeded.workspaceId, settings, now, BATCH);
    slowest = Math.max(slowest, Date.now() - b0);
    batches += 1;
    runs += gone.runs;
    events += gone.events;
    if (gone.runs < BATCH) break;
  }
  const ms = Date.now() - t0;
  const left = await client.run.count({ where: { workspaceId: seeded.workspaceId } });
  console.log(
    `deleted ${runs} runs (${events} events, ${runs} attempts, ${runs} steps) in ${batches} batches of ≤${BATCH}: ` +
      `${ms} ms, ${Math.round(runs / (ms / 1000))} runs/s, slowest batch ${slowest} ms; ${left} runs left`,
  );
} finally {
  await client.$disconnect();
  await database.drop();
}
