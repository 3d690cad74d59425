// Memory soak (not a test): N trivial runs through the whole stack — API and worker as separate
// processes, PostgreSQL, Redis — while the resident memory of the API, the worker and the worker's
// sandbox processes is sampled every 2% of the runs, with the live heap of the API and the worker (what a
// full garbage collection leaves, from scripts/soak-gc-probe.mjs). A process whose RSS keeps growing with
// the number of runs leaks.
//   npm run bench:soak                          (100,000 runs from 32 clients)
//   BENCH_SOAK_RUNS=5000 npm run bench:soak
// Other knobs: BENCH_SOAK_CLIENTS (32), BENCH_SOAK_IN_FLIGHT (at most this many runs unfinished, 256),
// BENCH_SOAK_MAX_GROWTH (percent of RSS growth allowed from the 20% mark to the end, 10), BENCH_SOAK_GC=0
// (no full collections at the samples: RSS under V8's own schedule, no heap figures).
// Prints the curve and a verdict, writes artifacts/bench-soak-<time>.json and .csv, and exits 1 when the
// API or the worker grew beyond the limit. The sandbox figure is reported but not judged: the worker
// replaces a sandbox process after SANDBOX_ATTEMPTS_PER_PROCESS attempts (5,000 by default), so that
// sum saw-tooths by design.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { apiClient } from '../e2e/support/client.ts';
import { connectLive } from '../e2e/support/live.ts';
import { BOOTSTRAP_KEY, startStack } from '../e2e/support/stack.ts';
import { sampleRss } from './process-cpu.mjs';

const RUNS = Number(process.env.BENCH_SOAK_RUNS ?? 100_000);
const CLIENTS = Number(process.env.BENCH_SOAK_CLIENTS ?? 32);
const MAX_IN_FLIGHT = Number(process.env.BENCH_SOAK_IN_FLIGHT ?? 256);
const MAX_GROWTH = Number(process.env.BENCH_SOAK_MAX_GROWTH ?? 10);
const SAMPLE_EVERY = Math.max(1, Math.round(RUNS / 50)); // every 2% of the runs
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'action_needed']);
const ROLES = ['api', 'worker', 'sandbox processes'];
const JUDGED = ['api', 'worker'];
// The probe's full collection at each sample (every 2% of the runs) reads the live heap; BENCH_SOAK_GC=0
// leaves the processes alone, to see the RSS that V8's own collection schedule gives.
const PROBE_GC = process.env.BENCH_SOAK_GC !== '0';

/**
 * process.memoryUsage() of each pid right after a full garbage collection: scripts/soak-gc-probe.mjs,
 * preloaded into the API and the worker, collects and writes it when sent SIGUSR2.
 */
async function liveHeap(probeDir, pids) {
  const sentAt = Date.now();
  const read = (pid) => {
    try {
      const usage = JSON.parse(readFileSync(join(probeDir, `${pid}.json`), 'utf8'));
      return usage.at >= sentAt ? usage : undefined;
    } catch {
      return undefined; // not written yet
    }
  };
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const heaps = pids.map(read);
    if (heaps.every((h) => h !== undefined) || Date.now() > deadline) return heaps;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const HEADER = [
  ['runs', 8],
  ['elapsed s', 9],
  ['runs/s', 6],
  ['api MB', 7],
  ['live', 6],
  ['heap', 6],
  ['worker MB', 9],
  ['live', 6],
  ['heap', 6],
  ['sandboxes MB', 12],
];
/** One line of the curve (printed as each sample is taken, so a stopped soak still shows its curve). */
const row = (s) =>
  [
    s.runs,
    s.elapsedS.toFixed(1),
    s.runsPerS,
    s.apiRssMb.toFixed(1),
    mb(s.apiHeapMb ?? undefined),
    mb(s.apiHeapTotalMb ?? undefined),
    s.workerRssMb.toFixed(1),
    mb(s.workerHeapMb ?? undefined),
    mb(s.workerHeapTotalMb ?? undefined),
    `${s.sandboxRssMb.toFixed(1)} (${s.sandboxProcesses})`,
  ]
    .map((value, i) => pad(value, HEADER[i][1]))
    .join(' ');
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const pad = (value, width) => String(value).padStart(width);
const mb = (value) => (value === undefined ? '-' : value.toFixed(1));

const probeDir = mkdtempSync(join(tmpdir(), 'mf-soak-gc-'));
const probe = PROBE_GC && {
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc --import ${pathToFileURL(resolve('scripts/soak-gc-probe.mjs'))}`,
  SOAK_GC_PROBE_DIR: probeDir,
};
const stack = await startStack('mf_soak', {
  redisDb: 13,
  worker: false,
  apiEnv: { ...probe },
  workerEnv: { WORKER_CONCURRENCY: String(Math.min(CLIENTS, 64)), DATABASE_POOL_SIZE: '20', ...probe },
});
// Stopped by hand (Ctrl-C): the API and the worker run in process groups of their own and would outlive
// the soak; stop them and drop the database first. The curve so far is already printed.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    rmSync(probeDir, { recursive: true, force: true });
    stack.stop().finally(() => process.exit(130));
  });
}
let exitCode = 0;
try {
  const worker = await stack.startWorker();
  const api = apiClient(stack.apiUrl);
  const created = await api('POST', '/api/v1/automations', {
    name: 'bench-soak',
    source: 'export default async function run(input) { return input.x + 1; }',
  });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const runsUrl = `${stack.apiUrl}/api/v1/automations/${created.body.id}/runs`;
  const body = JSON.stringify({ input: { x: 1 } });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${BOOTSTRAP_KEY}` };

  // Every stack process sits in the process group of the npm that started it (the API's, the worker's).
  const groups = [stack.api().child.pid, worker.child.pid];
  const sandboxPids = new Set();
  const samples = [];
  const t0 = performance.now();
  const sample = async (runs) => {
    // RSS first, as the processes hold it; then the live heap, which the probe's collection leaves.
    const rss = sampleRss(groups);
    const [apiUsage, workerUsage] = PROBE_GC
      ? await liveHeap(probeDir, [rss.api.pids[0], rss.worker.pids[0]])
      : [undefined, undefined];
    // heapUsed is the live heap; heapTotal what V8 keeps committed for it (it rarely gives pages back,
    // and most of a process's RSS beyond its code); external the memory of Buffers and native objects.
    const inMb = (usage, field) => (usage ? Number(mb(usage[field] / 2 ** 20)) : null);
    for (const pid of rss['sandbox processes']?.pids ?? []) sandboxPids.add(pid);
    const elapsed = (performance.now() - t0) / 1000;
    const previous = samples.at(-1);
    samples.push({
      runs,
      elapsedS: Number(elapsed.toFixed(2)),
      runsPerS: previous ? Math.round((runs - previous.runs) / (elapsed - previous.elapsedS)) : 0,
      apiRssMb: Number(mb(rss.api?.mb ?? 0)),
      apiHeapMb: inMb(apiUsage, 'heapUsed'),
      apiHeapTotalMb: inMb(apiUsage, 'heapTotal'),
      apiExternalMb: inMb(apiUsage, 'external'),
      workerRssMb: Number(mb(rss.worker?.mb ?? 0)),
      workerHeapMb: inMb(workerUsage, 'heapUsed'),
      workerHeapTotalMb: inMb(workerUsage, 'heapTotal'),
      workerExternalMb: inMb(workerUsage, 'external'),
      sandboxRssMb: Number(mb(rss['sandbox processes']?.mb ?? 0)),
      sandboxProcesses: rss['sandbox processes']?.pids.length ?? 0,
    });
    console.log(row(samples.at(-1)));
  };

  // Runs end as the workspace's live `run.status` events say (what the dashboard listens to); an event
  // can beat the POST's answer, hence `early`. `pending` holds the runs posted and not yet ended.
  const live = await connectLive(stack.apiUrl, { token: BOOTSTRAP_KEY });
  await live.subscribe({ workspace: true });
  const pending = new Set();
  const early = new Map(); // run id → terminal status, for runs whose event beat the POST's answer
  let started = 0;
  let finished = 0;
  let notSucceeded = 0;
  let recoveredFromDb = 0;
  let waiters = []; // clients (and the end of the load) waiting for a run to end
  const nextEnd = () => new Promise((resolve) => waiters.push(resolve));
  let nextSample = SAMPLE_EVERY;
  let sampling = Promise.resolve();
  const onFinished = (status) => {
    finished++;
    if (status !== 'succeeded') notSucceeded++;
    // Sampling is serialized; a mark passed while the previous sample was taken is sampled next.
    while (finished >= nextSample && nextSample <= RUNS) {
      const mark = nextSample;
      nextSample += SAMPLE_EVERY;
      sampling = sampling.then(() => sample(Math.max(mark, finished)));
    }
    const woken = waiters;
    waiters = [];
    for (const resolve of woken) resolve();
  };
  live.socket.on('run.status', (message) => {
    if (!TERMINAL.has(message.status)) return;
    if (pending.delete(message.runId)) onFinished(message.status);
    else if (!early.has(message.runId)) early.set(message.runId, message.status);
  });

  // A live event lost on the way would leave its client waiting for ever: when nothing ended for a few
  // seconds, the database says which pending runs did.
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  let lastFinished = 0;
  const watchdog = setInterval(async () => {
    if (finished !== lastFinished || pending.size === 0) {
      lastFinished = finished;
      return;
    }
    let rows;
    try {
      ({ rows } = await db.query(
        `SELECT id, status FROM runs WHERE id = ANY($1) AND status IN ('succeeded','failed','cancelled','action_needed')`,
        [[...pending]],
      ));
    } catch (error) {
      console.error(`watchdog: ${error.message}`);
      return;
    }
    for (const row of rows) {
      if (!pending.delete(row.id)) continue;
      recoveredFromDb++;
      onFinished(row.status);
    }
  }, 5000);

  console.log(
    `Mendflow memory soak: ${RUNS} trivial runs from ${CLIENTS} clients, at most ${MAX_IN_FLIGHT} unfinished; RSS sampled every ${SAMPLE_EVERY} runs${PROBE_GC ? ', then the live heap after a full collection (BENCH_SOAK_GC=0: no collections)' : ', no forced collections'}`,
  );
  console.log(HEADER.map(([name, width]) => pad(name, width)).join(' '));
  await sample(0);
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (started < RUNS) {
        if (started - finished >= MAX_IN_FLIGHT) {
          await nextEnd();
          continue;
        }
        started++;
        const response = await fetch(runsUrl, { method: 'POST', headers, body });
        const answer = await response.json();
        if (response.status !== 202)
          throw new Error(`POST answered ${response.status}: ${JSON.stringify(answer)}`);
        const status = early.get(answer.id);
        if (status) {
          early.delete(answer.id);
          onFinished(status);
        } else pending.add(answer.id);
      }
    }),
  );
  while (finished < RUNS) await nextEnd();
  clearInterval(watchdog);
  await sampling;
  if (samples.at(-1).runs < RUNS) await sample(RUNS);
  live.close();
  await db.end();

  // The verdict: after warm-up (the 20% mark) RSS must stay within MAX_GROWTH percent. Each end is the
  // mean of three samples, so one garbage-collection peak or trough does not decide it.
  const warm = samples.filter((s) => s.runs >= 0.2 * RUNS).slice(0, 3);
  const last = samples.slice(-3);
  const key = { api: 'apiRssMb', worker: 'workerRssMb', 'sandbox processes': 'sandboxRssMb' };
  const heapKey = { api: 'apiHeapMb', worker: 'workerHeapMb' };
  const verdict = {};
  for (const role of ROLES) {
    const from = mean(warm.map((s) => s[key[role]]));
    const to = mean(last.map((s) => s[key[role]]));
    const peak = Math.max(...samples.filter((s) => s.runs >= 0.2 * RUNS).map((s) => s[key[role]]));
    const growth = (100 * (to - from)) / from;
    const heap = PROBE_GC &&
      heapKey[role] && {
        fromMb: Number(mean(warm.map((s) => s[heapKey[role]])).toFixed(1)),
        toMb: Number(mean(last.map((s) => s[heapKey[role]])).toFixed(1)),
      };
    verdict[role] = {
      ...(heap && { liveHeap: heap }),
      fromMb: Number(from.toFixed(1)),
      toMb: Number(to.toFixed(1)),
      peakMb: peak,
      growthPercent: Number(growth.toFixed(1)),
      judged: JUDGED.includes(role),
      ok: !JUDGED.includes(role) || growth <= MAX_GROWTH,
    };
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `\n${RUNS} runs in ${seconds.toFixed(0)} s (${(RUNS / seconds).toFixed(0)} runs/s); not succeeded ${notSucceeded}; ended runs found in the database after a missed live event ${recoveredFromDb}; sandbox processes seen ${sandboxPids.size}`,
  );
  console.log(
    `RSS from the 20% mark to the end (means of 3 samples), limit +${MAX_GROWTH}% for api and worker:`,
  );
  for (const [role, v] of Object.entries(verdict)) {
    console.log(
      `  ${role.padEnd(18)} ${v.fromMb} → ${v.toMb} MB (${v.growthPercent >= 0 ? '+' : ''}${v.growthPercent}%, peak ${v.peakMb} MB${v.liveHeap ? `; live heap ${v.liveHeap.fromMb} → ${v.liveHeap.toMb} MB` : ''}) ${v.judged ? (v.ok ? 'flat' : 'GROWS') : '(reported, not judged: processes are recycled)'}`,
    );
  }
  if (notSucceeded > 0) console.log(`  ${notSucceeded} runs did not succeed`);
  const ok = Object.values(verdict).every((v) => v.ok) && notSucceeded === 0;
  console.log(ok ? 'verdict: flat' : 'verdict: FAIL');
  if (!ok) exitCode = 1;

  mkdirSync('artifacts', { recursive: true });
  const base = `artifacts/bench-soak-${new Date().toISOString().replaceAll(':', '-').slice(0, 19)}`;
  const config = {
    runs: RUNS,
    clients: CLIENTS,
    maxInFlight: MAX_IN_FLIGHT,
    maxGrowthPercent: MAX_GROWTH,
    gcProbe: PROBE_GC,
  };
  writeFileSync(`${base}.json`, JSON.stringify({ config, seconds, notSucceeded, verdict, samples }, null, 2));
  const columns = Object.keys(samples[0]);
  writeFileSync(
    `${base}.csv`,
    [columns.join(','), ...samples.map((s) => columns.map((c) => s[c] ?? '').join(','))].join('\n') + '\n',
  );
  console.log(`curve written to ${base}.json and ${base}.csv`);
} finally {
  await stack.stop();
  rmSync(probeDir, { recursive: true, force: true });
}
process.exit(exitCode);
