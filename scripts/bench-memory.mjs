// Memory of a worker and its sandbox processes (not a test): RSS idle, under load, and after many runs,
// at the configured concurrencies. The worker keeps one sandbox process per unit of concurrency, so
// its footprint is roughly main + concurrency × one sandbox process; it must not grow with runs.
//   npm run bench:memory                       (concurrency 8 and 16, 10,000 runs each)
//   BENCH_MEMORY_CONCURRENCY=4,8 BENCH_MEMORY_RUNS=2000 npm run bench:memory
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { apiClient } from '../e2e/support/client.ts';
import { startStack } from '../e2e/support/stack.ts';

const CONCURRENCIES = (process.env.BENCH_MEMORY_CONCURRENCY ?? '8,16').split(',').map(Number);
const RUNS = Number(process.env.BENCH_MEMORY_RUNS ?? 10_000);
const CLIENTS = 32;
const SAMPLE_EVERY = Math.max(1, Math.floor(RUNS / 5));

/** RSS in MB of the worker's main process and of its sandbox processes (from /proc). */
function workerMemory(groupPid) {
  const lines = execFileSync('ps', ['-o', 'pid=,args=', '-g', String(groupPid)], { encoding: 'utf8' }).split(
    '\n',
  );
  const rss = (pid) => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return match ? Number(match[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  let main = 0;
  const children = [];
  for (const line of lines) {
    const pid = Number(line.trim().split(/\s+/)[0]);
    if (line.includes('apps/worker/dist/main.js') && line.includes('node ')) main += rss(pid);
    else if (line.includes('process/child.js')) children.push(rss(pid));
  }
  const sandboxes = children.reduce((a, b) => a + b, 0);
  return { main, sandboxes, processes: children.length, total: main + sandboxes };
}

const fmt = (m) =>
  `total ${m.total.toFixed(0)} MB = worker ${m.main.toFixed(0)} MB + ${m.processes} sandbox processes ${m.sandboxes.toFixed(0)} MB (${(m.sandboxes / Math.max(1, m.processes)).toFixed(0)} MB each)`;

console.log(
  `Worker memory (RSS), ${RUNS} runs per concurrency from ${CLIENTS} clients; a typical script (log, kv, step).`,
);
for (const concurrency of CONCURRENCIES) {
  const stack = await startStack(`bench_memory_${concurrency}`, {
    redisDb: 15,
    worker: false,
    workerEnv: { WORKER_CONCURRENCY: String(concurrency), DATABASE_POOL_SIZE: '20' },
  });
  try {
    const worker = await stack.startWorker();
    const group = worker.child.pid;
    const api = apiClient(stack.apiUrl);
    const created = await api('POST', '/api/v1/automations', {
      name: 'bench-memory',
      source: `export default async function run(input, ctx) {
        ctx.log.info('run', { n: input.n });
        const seen = (await ctx.kv.get('seen')) ?? 0;
        await ctx.kv.set('seen', seen + 1);
        const doubled = await ctx.step('double', async () => input.numbers.map((n) => n * 2));
        return { total: doubled.reduce((a, b) => a + b, 0) };
      }`,
    });
    if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
    const path = `/api/v1/automations/${created.body.id}/runs`;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    console.log(`\nconcurrency ${concurrency}`);
    console.log(`  idle (warm)            ${fmt(workerMemory(group))}`);

    let peak = { total: 0 };
    const sampler = setInterval(() => {
      const m = workerMemory(group);
      if (m.total > peak.total) peak = m;
    }, 250);
    let submitted = 0;
    let done = 0;
    const samples = [];
    await Promise.all([
      ...Array.from({ length: CLIENTS }, async () => {
        while (submitted < RUNS) {
          const n = submitted++;
          const { status } = await api('POST', path, { input: { n, numbers: [1, 2, 3] } });
          if (status !== 202) throw new Error(`POST answered ${status}`);
          // Keep a bounded backlog, so "under load" means the worker is busy, not the queue long.
          while (submitted - done > CLIENTS * 4) await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }),
      (async () => {
        const client = new pg.Client({ connectionString: stack.databaseUrl });
        await client.connect();
        while (done < RUNS) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          const { rows } = await client.query(
            "SELECT count(*)::int AS n FROM runs WHERE status IN ('succeeded','failed','action_needed')",
          );
          done = rows[0].n;
          if (samples.length < Math.floor(done / SAMPLE_EVERY))
            samples.push({ after: done, ...workerMemory(group) });
        }
        await client.end();
      })(),
    ]);
    clearInterval(sampler);
    console.log(`  peak under load        ${fmt(peak)}`);
    for (const s of samples) console.log(`  after ${String(s.after).padEnd(6)} runs       ${fmt(s)}`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    console.log(`  idle after ${RUNS} runs ${fmt(workerMemory(group))}`);
  } finally {
    await stack.stop();
  }
}
