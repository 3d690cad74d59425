// Per-attempt overhead of the sandbox (libs/sandbox): a trivial script on a warm pool, measured end to
// end through runAttempt (fresh context, bootstrap, module, result, recording). Run it with
// `npm run bench:sandbox`, which builds the lib first; it needs Node 24 and --no-node-snapshot.
//
// Two ways are measured: the isolates in this process (Sandbox, the engine), and the sandbox processes
// the worker really uses (ProcessSandbox: the same engine in child processes, host calls over IPC).
// Figures printed for each:
//   - latency p50/p90/p99 of one attempt, one at a time, and its overhead p50/p95 (the attempt's wall
//     time minus the script's own time, AttemptCost.scriptMs: what the worker's
//     mendflow_sandbox_overhead_seconds observes), against the 1 ms target
//   - CPU per attempt of this process (the worker's side: IPC, host services) and of the sandbox
//     processes (from /proc; 10 ms ticks, so only meaningful over thousands of attempts)
//   - attempts/s one at a time, and attempts per CPU-second (CPU of this process and of the sandbox
//     processes, all threads: "per core")
//   - the same for a typical script (logs, a kv read, a memoized step), for context
//   - attempts/s with one isolate (or process) per core, all busy
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import sandboxLib from '../libs/sandbox/dist/index.js';

const { Sandbox, ProcessSandbox, createMemoryHost } = sandboxLib;

const TARGET_P50_MS = 1;
const WARMUP = 1000;
const MEASURED = Number(process.env.BENCH_ATTEMPTS ?? 5000);

const manifest = {
  permissions: { hosts: [], secrets: [] },
  limits: {
    timeoutMs: 30_000,
    memoryMb: 64,
    maxFetches: 50,
    maxLogBytes: 262_144,
    maxResultBytes: 1_048_576,
  },
  retry: { maxAttempts: 3, backoff: { baseMs: 1000, maxMs: 300_000, jitter: true } },
  repair: { maxPerDay: 3, requireApproval: false },
  triggers: [],
};
const run = { id: 'bench-run', attempt: 1, automationId: 'bench', version: 1, trigger: 'manual' };

// The trivial run of `npm run bench` (issue 14): a sum over 100 numbers.
const TRIVIAL =
  'export default async function run(input) { let s = 0; for (const n of input.numbers) s += n; return { sum: s }; }';
const NUMBERS = Array.from({ length: 100 }, (_, i) => i);
// BENCH_PARALLEL=0 skips the all-busy measurement. BENCH_WAYS=process skips the in-process engine (profiling the path the worker uses).
const ONLY = process.env.BENCH_WAYS;
// BENCH_CPU_PROF=<dir>: the sandbox processes write V8 CPU profiles there (see
// scripts/cpu-profile-summary.mjs). A profile is written when a process exits on its own, which a
// sandbox process does when its parent goes away; so with it the processes are left running and this
// process exits at the end instead of closing them (which kills them). Profile this process itself
// with `node --cpu-prof`.
const PROFILE_DIR = process.env.BENCH_CPU_PROF;
if (PROFILE_DIR) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${PROFILE_DIR}`;
}
const TYPICAL = `export default async function run(input, ctx) {
  ctx.log.info('starting', { n: input.n });
  const cursor = (await ctx.kv.get('cursor')) ?? 0;
  const total = await ctx.step('sum', async () => input.items.reduce((a, b) => a + b, 0));
  console.log('done', cursor, total);
  return { cursor, total, at: new Date().toISOString() };
}`;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** CPU ms of other processes (the sandbox processes), from /proc; 0 where /proc is not there. */
function cpuOf(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

async function sequential(sandbox, source, count, makeHost) {
  const times = [];
  const overheads = [];
  const pids = sandbox.pids ?? [];
  const childCpuBefore = cpuOf(pids);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const result = await sandbox.runAttempt({
      source,
      input: { n: i, items: [1, 2, 3], numbers: NUMBERS },
      run,
      manifest,
      host: makeHost(),
    });
    const wall = performance.now() - t0;
    times.push(wall);
    overheads.push(wall - result.cost.scriptMs);
    if (result.status !== 'succeeded')
      throw new Error(`bench attempt failed: ${JSON.stringify(result.error)}`);
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const childCpuMs = cpuOf(pids) - childCpuBefore;
  times.sort((a, b) => a - b);
  overheads.sort((a, b) => a - b);
  const parentCpuMs = (cpu.user + cpu.system) / 1000;
  return {
    overheadP50: percentile(overheads, 50),
    overheadP95: percentile(overheads, 95),
    parentCpuMsPerAttempt: parentCpuMs / count,
    childCpuMsPerAttempt: childCpuMs / count,
    p50: percentile(times, 50),
    p90: percentile(times, 90),
    p99: percentile(times, 99),
    perSecond: (count / wallMs) * 1000,
    cpuMsPerAttempt: (parentCpuMs + childCpuMs) / count,
  };
}

async function parallel(makeSandbox, source, count, workers) {
  const sandbox = makeSandbox(workers);
  await sandbox.warm?.();
  const host = createMemoryHost();
  const one = () =>
    sandbox.runAttempt({ source, input: { n: 1, items: [1], numbers: NUMBERS }, run, manifest, host });
  await Promise.all(Array.from({ length: workers * 50 }, one));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers * 2 }, async () => {
      while (next++ < count) await one();
    }),
  );
  const perSecond = (count / (performance.now() - started)) * 1000;
  await sandbox.close();
  return perSecond;
}

function line(label, r, way) {
  const verdict = r.overheadP50 <= TARGET_P50_MS ? 'meets' : 'MISSES';
  const split =
    way === 'in-process'
      ? ''
      : ` = this process ${r.parentCpuMsPerAttempt.toFixed(3)} + sandbox processes ${r.childCpuMsPerAttempt.toFixed(3)}`;
  console.log(
    `${label.padEnd(34)} p50 ${r.p50.toFixed(3)} ms  p90 ${r.p90.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms  ` +
      `| ${r.perSecond.toFixed(0)} attempts/s one at a time | ${(1000 / r.cpuMsPerAttempt).toFixed(0)} attempts per CPU-second ` +
      `(${r.cpuMsPerAttempt.toFixed(3)} ms CPU each${split})`,
  );
  console.log(
    `${''.padEnd(34)} overhead (wall minus script time) p50 ${r.overheadP50.toFixed(3)} ms  p95 ${r.overheadP95.toFixed(3)} ms | ${verdict} the ${TARGET_P50_MS} ms p50 target`,
  );
}

console.log(
  `Node ${process.version}, ${availableParallelism()} cores; ${MEASURED} measured attempts after ${WARMUP} warm-up attempts, ` +
    'one slot (isolates recycled every 500 attempts, as in production; sandbox processes not recycled during a measurement, so their CPU can be counted).',
);

const cores = availableParallelism();
const WAYS = [
  ['in-process', (n) => new Sandbox({ poolSize: n })],
  ['sandbox processes', (n) => new ProcessSandbox({ processes: n, maxAttemptsPerProcess: 1e9 })],
];
for (const [way, makeSandbox] of WAYS) {
  if (ONLY && !way.startsWith(ONLY)) continue;
  const sandbox = makeSandbox(1);
  await sandbox.warm?.();
  const sharedHost = createMemoryHost();
  await sequential(sandbox, TRIVIAL, WARMUP, () => sharedHost);
  line(`trivial script, ${way}`, await sequential(sandbox, TRIVIAL, MEASURED, () => sharedHost), way);
  await sequential(sandbox, TYPICAL, WARMUP / 2, () => createMemoryHost({ kv: { cursor: 3 } }));
  line(
    `typical script, ${way}`,
    await sequential(sandbox, TYPICAL, MEASURED, () => createMemoryHost({ kv: { cursor: 3 } })),
    way,
  );
  if (PROFILE_DIR && sandbox instanceof ProcessSandbox) continue;
  await sandbox.close();
  if (process.env.BENCH_PARALLEL === '0') continue;
  const all = await parallel(makeSandbox, TRIVIAL, MEASURED * 2, cores);
  console.log(`trivial script, ${way}, ${cores} busy at once: ${all.toFixed(0)} attempts/s`);
}
if (PROFILE_DIR) process.exit(0);
