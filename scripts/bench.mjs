// End-to-end benchmark (not a test): N trivial runs through the whole pipeline — HTTP POST, PostgreSQL,
// BullMQ, the worker's sandbox, PostgreSQL again — with the API and worker as separate processes.
//   npm run bench                       (defaults: 300 sequential runs, 2000 runs at concurrency 32)
//   BENCH_SEQUENTIAL=100 BENCH_RUNS=5000 BENCH_CONCURRENCY=64 npm run bench
//   BENCH_WORKERS=2 BENCH_APIS=2 npm run bench  (replicas on one box; BENCH_WORKER_CONCURRENCY, 8, is split)
//   BENCH_RATE=500 npm run bench             (an open load: that many runs/s offered, for latency at a rate)
// Prints runs/s and p50/p95 latency from POST to `succeeded`: for sequential runs as a client sees it
// (the POST, then the live `run.status` message over Socket.IO), under load from server timestamps
// (created_at → finished_at); then CPU per run by process (/proc) and PostgreSQL's statements per run
// (pg_stat_statements, when the server preloads it). Logs are written at LOG_LEVEL info, as deployed.
import pg from 'pg';
import { freePort, startScript, startStack, waitFor } from '../e2e/support/stack.ts';
import { apiClient } from '../e2e/support/client.ts';
import { connectLive } from '../e2e/support/live.ts';
import { BOOTSTRAP_KEY } from '../e2e/support/stack.ts';
import { cpuBetween, describeCpu, postgresPidsOf, sampleCpu } from './process-cpu.mjs';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const RATE = Number(process.env.BENCH_RATE ?? 0);
// Sandbox slots in all: the app's default WORKER_CONCURRENCY. On 2 cores, 8 served 275 runs/s and 32
// (one per client) 233: trivial attempts are CPU-bound, extra processes only add switching.
const WORKER_SLOTS = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 8);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summarize = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50).toFixed(1),
    p95: percentile(sorted, 95).toFixed(1),
    p99: percentile(sorted, 99).toFixed(1),
    max: sorted.at(-1).toFixed(1),
  };
};

/**
 * PostgreSQL's view of the load phase (pg_stat_statements, when the server preloads it): statements per
 * run and where the database time goes. Reset at the start of the phase, read at its end.
 */
async function statementStats(databaseUrl) {
  const admin = new pg.Client({ connectionString: databaseUrl.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  const database = new URL(databaseUrl).pathname.slice(1);
  try {
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await admin.query('SELECT pg_stat_statements_reset()');
  } catch (error) {
    await admin.end();
    return {
      report: async () =>
        `  pg_stat_statements unavailable (${error.message}): add it to shared_preload_libraries`,
    };
  }
  return {
    async report(runs) {
      const { rows } = await admin.query(
        `SELECT calls, total_exec_time AS ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
         WHERE d.datname = $1 ORDER BY total_exec_time DESC`,
        [database],
      );
      await admin.end();
      const calls = rows.reduce((a, r) => a + Number(r.calls), 0);
      const ms = rows.reduce((a, r) => a + Number(r.ms), 0);
      const top = rows
        .slice(0, Number(process.env.BENCH_TOP_STATEMENTS ?? 12))
        .map(
          (r) =>
            `    ${(Number(r.calls) / runs).toFixed(2)}/run ${(Number(r.ms) / runs).toFixed(3)} ms/run  ${r.query}`,
        );
      return [
        `  PostgreSQL: ${(calls / runs).toFixed(1)} statements per run, ${(ms / runs).toFixed(2)} ms of execution per run; by time:`,
        ...top,
      ].join('\n');
    },
  };
}

// BENCH_CPU_PROF=<dir>: every stack process (api, worker, sandbox processes) writes a V8 CPU profile
// there when it exits; `node scripts/cpu-profile-summary.mjs <dir>` says where the time went.
const profiling = process.env.BENCH_CPU_PROF
  ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}` }
  : {};
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const APIS = Number(process.env.BENCH_APIS ?? 1);
// Logs as a deployment writes them (the e2e stack's default is warn): a line per request and attempt.
const logging = { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' };
const stack = await startStack('bench', {
  redisDb: 14,
  apiEnv: { ...profiling, ...logging },
  worker: false,
});
// BENCH_APIS=2: more API replicas on ports of their own; the load's clients take turns between them.
const apiUrls = [stack.apiUrl];
const extraApis = [];
for (let i = 1; i < APIS; i++) {
  const port = await freePort();
  const replica = startScript('start:api', { ...stack.env, ...profiling, ...logging, PORT: String(port) });
  extraApis.push(replica);
  await waitFor(`http://127.0.0.1:${port}/readyz`, replica);
  apiUrls.push(`http://127.0.0.1:${port}`);
}
// BENCH_WORKERS=2: as many worker processes, splitting WORKER_CONCURRENCY between them.
const workers = [];
for (let i = 0; i < WORKERS; i++) {
  workers.push(
    await stack.startWorker({
      WORKER_CONCURRENCY: String(Math.max(1, Math.round(WORKER_SLOTS / WORKERS))),
      DATABASE_POOL_SIZE: '20',
      ...logging,
      ...(process.env.BENCH_WORKER_ENV ? JSON.parse(process.env.BENCH_WORKER_ENV) : {}),
      ...profiling,
    }),
  );
}
/** Run jobs the workers put back because their automation held its share (mendflow_run_jobs_deferred_total). */
const deferredJobs = async () => {
  let total = 0;
  for (const worker of workers) {
    const text = await (await fetch(`${worker.healthUrl}/metrics`)).text();
    total += Number(text.match(/^mendflow_run_jobs_deferred_total(?:\{[^}]*\})? (\d+)/m)?.[1] ?? 0);
  }
  return total;
};
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
  const runOnce = async (record) => {
    const { body } = await api('POST', path, { input });
    record?.push(body.id);
    const status = ended.get(body.id) ?? (await new Promise((resolve) => waiting.set(body.id, resolve)));
    waiting.delete(body.id);
    ended.delete(body.id);
    if (status !== 'succeeded') throw new Error(`run ${body.id} ended ${status}`);
  };

  // Warm up the isolate pool, the connection pools and the JIT.
  for (let i = 0; i < 20; i++) await runOnce();

  const sequential = [];
  const sequentialIds = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t0 = performance.now();
    await runOnce(sequentialIds);
    sequential.push(performance.now() - t0);
  }
  live.close();

  const ids = [];
  const statements = await statementStats(stack.databaseUrl);
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  // Every process now; which PostgreSQL backends were this database's is asked at the end (the pools
  // open connections as the load grows, and those count from zero).
  const cpuBefore = sampleCpu();
  const deferredBefore = await deferredJobs();
  const loadStart = performance.now();
  let next = 0;
  const replicas = apiUrls.map((url) => apiClient(url));
  const post = async (replica) => {
    const { status, body } = await replica('POST', path, { input });
    if (status !== 202) throw new Error(`POST answered ${status}`);
    ids.push(body.id);
  };
  if (RATE > 0) {
    // Open load: a run offered every 1/RATE s whatever the answers (as many clients as that takes).
    const posts = [];
    for (let i = 0; i < RUNS; i++) {
      const due = loadStart + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      posts.push(post(replicas[i % replicas.length]));
    }
    await Promise.all(posts);
  } else {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, client) => {
        while (next < RUNS) {
          next++;
          await post(replicas[client % replicas.length]);
        }
      }),
    );
  }
  for (;;) {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status IN ('succeeded','failed')`,
      [ids],
    );
    if (rows[0].n === ids.length) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const postgresPids = await postgresPidsOf(db, new URL(stack.databaseUrl).pathname.slice(1));
  const cpu = cpuBetween(cpuBefore, sampleCpu({ postgresPids }));
  const deferred = (await deferredJobs()) - deferredBefore;
  // Where a sequential run's time went, by the server's clock: waiting for a worker, then its attempt.
  const { rows: sequentialRows } = await db.query(
    `SELECT extract(epoch FROM started_at - created_at) * 1000 AS queued_ms,
            extract(epoch FROM finished_at - started_at) * 1000 AS running_ms
     FROM runs WHERE id = ANY($1)`,
    [sequentialIds],
  );
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

  const load = summarize(rows.map((r) => Number(r.ms)));
  const queued = summarize(rows.map((r) => Number(r.queued_ms)));
  const running = summarize(rows.map((r) => Number(r.running_ms)));
  console.log(`\nMendflow end-to-end benchmark (api + worker processes, PostgreSQL, Redis, isolated-vm)`);
  // BENCH_SEQUENTIAL=0 measures the load alone.
  if (SEQUENTIAL > 0) {
    const seq = summarize(sequential);
    console.log(
      `sequential (concurrency 1, ${SEQUENTIAL} runs): ${(SEQUENTIAL / (sequential.reduce((a, b) => a + b, 0) / 1000)).toFixed(1)} runs/s; POST→live succeeded p50 ${seq.p50} ms, p95 ${seq.p95} ms, p99 ${seq.p99} ms, max ${seq.max} ms`,
    );
    const seqQueued = summarize(sequentialRows.map((r) => Number(r.queued_ms)));
    const seqRunning = summarize(sequentialRows.map((r) => Number(r.running_ms)));
    console.log(
      `  of which created→started p50 ${seqQueued.p50} ms, started→finished p50 ${seqRunning.p50} ms (server clock, ms resolution)`,
    );
  }
  console.log(
    `load (${RUNS} runs, ${RATE > 0 ? `offered at ${RATE}/s` : `${CONCURRENCY} concurrent clients`}): ${(RUNS / ((last - first) / 1000)).toFixed(1)} runs/s (server clock), ${(RUNS / loadSeconds).toFixed(1)} runs/s (client clock incl. polling); created→finished p50 ${load.p50} ms, p95 ${load.p95} ms, max ${load.max} ms; failed ${failed}`,
  );
  console.log(
    `  of which created→started (queue) p50 ${queued.p50} ms, p95 ${queued.p95} ms; started→finished (attempt + state writes) p50 ${running.p50} ms, p95 ${running.p95} ms`,
  );
  console.log(`  ${describeCpu(cpu, RUNS, loadSeconds)}`);
  console.log(
    `  ${APIS} API and ${WORKERS} worker process(es); jobs put back over their automation's share: ${deferred}`,
  );
  console.log(await statements.report(RUNS));
} finally {
  await Promise.all(extraApis.map((replica) => replica.stop()));
  await stack.stop();
}
