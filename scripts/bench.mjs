// End-to-end benchmark (not a test): N trivial runs through the whole pipeline — HTTP POST, PostgreSQL,
// BullMQ, the worker's sandbox, PostgreSQL again — with the API and worker as separate processes.
//   npm run bench                       (defaults: 300 sequential runs, 2000 runs at concurrency 32)
//   BENCH_SEQUENTIAL=100 BENCH_RUNS=5000 BENCH_CONCURRENCY=64 npm run bench
// Prints runs/s and p50/p95 latency from POST to `succeeded`: for sequential runs as a client sees it
// (the POST, then the live `run.status` message over Socket.IO), under load from server timestamps
// (created_at → finished_at).
import pg from 'pg';
import { startStack } from '../e2e/support/stack.ts';
import { apiClient } from '../e2e/support/client.ts';
import { connectLive } from '../e2e/support/live.ts';
import { BOOTSTRAP_KEY } from '../e2e/support/stack.ts';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summarize = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50).toFixed(1),
    p95: percentile(sorted, 95).toFixed(1),
    max: sorted.at(-1).toFixed(1),
  };
};

const stack = await startStack('bench', {
  redisDb: 14,
  workerEnv: { WORKER_CONCURRENCY: String(Math.min(CONCURRENCY, 64)), DATABASE_POOL_SIZE: '20' },
});
const api = apiClient(stack.apiUrl);
try {
  const created = await api('POST', '/api/v1/automations', {
    name: 'bench-sum',
    source:
      'export default async function run(input) { let s = 0; for (const n of input.numbers) s += n; return { sum: s }; }',
  });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const path = `/api/v1/automations/${created.body.id}/runs`;
  const input = { numbers: Array.from({ length: 100 }, (_, i) => i) };

  // The dashboard's way to learn a run finished: the workspace's live events.
  const live = await connectLive(stack.apiUrl, { token: BOOTSTRAP_KEY });
  await live.subscribe({ workspace: true });
  const waiting = new Map(); // run id → resolve
  const ended = new Map(); // run id → status, when it ended before anyone waited
  live.socket.on('run.status', (message) => {
    if (!['succeeded', 'failed', 'action_needed'].includes(message.status)) return;
    const resolve = waiting.get(message.runId);
    if (resolve) resolve(message.status);
    else ended.set(message.runId, message.status);
  });
  const runOnce = async () => {
    const { body } = await api('POST', path, { input });
    const status = ended.get(body.id) ?? (await new Promise((resolve) => waiting.set(body.id, resolve)));
    waiting.delete(body.id);
    ended.delete(body.id);
    if (status !== 'succeeded') throw new Error(`run ${body.id} ended ${status}`);
  };

  // Warm up the isolate pool, the connection pools and the JIT.
  for (let i = 0; i < 20; i++) await runOnce();

  const sequential = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t0 = performance.now();
    await runOnce();
    sequential.push(performance.now() - t0);
  }
  live.close();

  const ids = [];
  const loadStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < RUNS) {
        next++;
        const { status, body } = await api('POST', path, { input });
        if (status !== 202) throw new Error(`POST answered ${status}`);
        ids.push(body.id);
      }
    }),
  );
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  for (;;) {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status IN ('succeeded','failed')`,
      [ids],
    );
    if (rows[0].n === ids.length) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const { rows } = await db.query(
    `SELECT status, extract(epoch FROM finished_at - created_at) * 1000 AS ms,
            extract(epoch FROM started_at - created_at) * 1000 AS queued_ms,
            extract(epoch FROM finished_at - started_at) * 1000 AS running_ms, created_at, finished_at
     FROM runs WHERE id = ANY($1)`,
    [ids],
  );
  await db.end();
  const failed = rows.filter((r) => r.status !== 'succeeded').length;
  const first = Math.min(...rows.map((r) => r.created_at.getTime()));
  const last = Math.max(...rows.map((r) => r.finished_at.getTime()));

  const seq = summarize(sequential);
  const load = summarize(rows.map((r) => Number(r.ms)));
  const queued = summarize(rows.map((r) => Number(r.queued_ms)));
  const running = summarize(rows.map((r) => Number(r.running_ms)));
  console.log(`\nMendflow end-to-end benchmark (api + worker processes, PostgreSQL, Redis, isolated-vm)`);
  console.log(
    `sequential (concurrency 1, ${SEQUENTIAL} runs): ${(SEQUENTIAL / (sequential.reduce((a, b) => a + b, 0) / 1000)).toFixed(1)} runs/s; POST→live succeeded p50 ${seq.p50} ms, p95 ${seq.p95} ms, max ${seq.max} ms`,
  );
  console.log(
    `load (${RUNS} runs, ${CONCURRENCY} concurrent clients): ${(RUNS / ((last - first) / 1000)).toFixed(1)} runs/s (server clock), ${(RUNS / loadSeconds).toFixed(1)} runs/s (client clock incl. polling); created→finished p50 ${load.p50} ms, p95 ${load.p95} ms, max ${load.max} ms; failed ${failed}`,
  );
  console.log(
    `  of which created→started (queue) p50 ${queued.p50} ms, p95 ${queued.p95} ms; started→finished (attempt + state writes) p50 ${running.p50} ms, p95 ${running.p95} ms`,
  );

} finally {
  await stack.stop();
}
