// Schedule benchmark (not a test): how long from a schedule's tick to its run, with the API and
// workers as separate processes, as e2e runs them. An automation with an every-second schedule runs
// for BENCH_TICKS ticks; the delays come from server timestamps against the tick each run is for:
//   tick → run created  (runs.created_at − scheduledAt: BullMQ's delayed job firing, the tick job,
//                        the run's insert)
//   tick → run started  (runs.started_at − scheduledAt: the above, plus the run's job reaching a
//                        worker and its attempt opening)
//   npm run bench:schedules                 (defaults: 20 ticks, 2 workers)
//   BENCH_TICKS=60 BENCH_WORKERS=1 npm run bench:schedules
import pg from 'pg';
import { startStack } from '../e2e/support/stack.ts';
import { apiClient } from '../e2e/support/client.ts';

const TICKS = Number(process.env.BENCH_TICKS ?? 20);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const summarize = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) };
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const stack = await startStack('bench_schedules', { redisDb: 15 });
const database = new pg.Client({ connectionString: stack.databaseUrl });
try {
  for (let i = 1; i < WORKERS; i++) await stack.startWorker();
  await database.connect();
  const api = apiClient(stack.apiUrl);
  const created = await api('POST', '/api/v1/automations', {
    name: 'bench-schedule',
    source: 'export default async function run(input, ctx) { return { scheduledAt: ctx.run.scheduledAt }; }',
    manifest: { triggers: [{ type: 'cron', cron: '* * * * * *', overlap: 'allow' }] },
  });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const automationId = created.body.id;

  // Two ticks to warm up (isolate pool, connection pools), then the measured ones.
  const WARM_UP = 2;
  const query = `SELECT trigger_context->>'scheduledAt' AS "scheduledAt", created_at AS "createdAt",
                        started_at AS "startedAt", status
                 FROM runs WHERE automation_id = $1 ORDER BY trigger_context->>'scheduledAt'`;
  const deadline = Date.now() + (TICKS + WARM_UP + 30) * 1000;
  let rows = [];
  while (Date.now() < deadline) {
    ({ rows } = await database.query(query, [automationId]));
    if (rows.filter((row) => row.startedAt).length >= TICKS + WARM_UP) break;
    await sleep(500);
  }
  await api('PATCH', `/api/v1/automations/${automationId}`, { status: 'paused' });

  const measured = rows.filter((row) => row.startedAt).slice(WARM_UP, WARM_UP + TICKS);
  if (measured.length < TICKS) throw new Error(`only ${measured.length} of ${TICKS} ticks started a run`);
  const ticks = new Set(rows.map((row) => row.scheduledAt));
  const first = Date.parse(measured[0].scheduledAt);
  const last = Date.parse(measured.at(-1).scheduledAt);
  const toCreated = measured.map((row) => row.createdAt.getTime() - Date.parse(row.scheduledAt));
  const toStarted = measured.map((row) => row.startedAt.getTime() - Date.parse(row.scheduledAt));
  const format = ({ p50, p95, max }) => `p50 ${p50} ms, p95 ${p95} ms, max ${max} ms`;
  console.log(`schedule ticks: ${measured.length} measured, ${WORKERS} worker(s), every second`);
  console.log(`  ticks with a run: ${measured.length} of ${(last - first) / 1000 + 1} seconds in the span`);
  console.log(`  duplicate runs for a tick: ${rows.length - ticks.size}`);
  console.log(`  tick → run created: ${format(summarize(toCreated))}`);
  console.log(`  tick → run started: ${format(summarize(toStarted))}`);
} finally {
  await database.end().catch(() => undefined);
  await stack.stop();
}
