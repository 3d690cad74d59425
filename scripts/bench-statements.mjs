// Benchmark (not a test): the run hot path's SQL statements alone, against a fresh database migrated
// like the real one, 16 at a time — createQueued (POST a run), beginAttempt (a worker starts it) and
// the succeed transition (it settles). Prints statements per second for each; compare a change with
// its base commit run right after it (the machine's speed drifts).
//   npm run bench:statements            (2000 of each)
//   BENCH_STATEMENTS=5000 npm run bench:statements
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const db = require('../libs/db/dist/index.js');
const { createTestDatabase, seedAutomation } = require('../libs/db/dist/testing/test-database.js');

const N = Number(process.env.BENCH_STATEMENTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_STATEMENTS_CONCURRENCY ?? 16);

const database = await createTestDatabase('bench_statements');
const client = db.createDb(database.url, { poolSize: CONCURRENCY });
try {
  const seeded = await seedAutomation(client, 'bench-statements');
  const runs = new db.RunsRepository(client);
  const execution = new db.RunExecutionRepository(client);
  const newRun = (i) => ({
    automationId: seeded.automationId,
    versionId: seeded.versionId,
    trigger: 'api',
    input: { i },
  });
  const outcome = {
    status: 'succeeded',
    output: { sum: 1 },
    logs: [],
    recording: { version: 1, calls: [] },
    cost: { cpuMs: 1, wallMs: 1, memoryBytes: 0, fetches: 0 },
  };
  const phase = async (name, fn) => {
    const started = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < N) await fn(next++);
      }),
    );
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`${name.padEnd(22)} ${(N / (ms / 1000)).toFixed(0).padStart(6)} statements/s`);
  };
  for (let i = 0; i < 50; i++) {
    const { run } = await runs.createQueued(seeded.workspaceId, newRun(-1));
    await execution.beginAttempt(seeded.workspaceId, run.id);
  }
  const ids = [];
  console.log(`Mendflow hot-path statements (${N} each, ${CONCURRENCY} concurrent, PostgreSQL)`);
  await phase('createQueued', async (i) => {
    ids[i] = (await runs.createQueued(seeded.workspaceId, newRun(i))).run.id;
  });
  await phase('beginAttempt', (i) => execution.beginAttempt(seeded.workspaceId, ids[i]));
  await phase('transition (succeed)', (i) =>
    execution.transition(seeded.workspaceId, ids[i], {
      from: ['running'],
      to: 'succeeded',
      // What the worker's settle says of a run it started without a limit.
      holdsSlot: false,
      attempt: { number: 1, outcome },
      output: outcome.output,
      error: null,
      event: { type: 'run.succeeded', data: { attempt: 1, wallMs: 1, cpuMs: 1, fetches: 0 } },
    }),
  );
} finally {
  await client.$disconnect();
  await database.drop();
}
