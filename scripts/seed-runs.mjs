// Fills a migrated database with stored work, in bulk SQL (INSERT … SELECT generate_series), to measure
// how queries cost at scale (npm run bench:scale). Not a fixture for tests.
//   DATABASE_URL=postgresql://… npm run seed:runs                 (1,000,000 runs)
//   DATABASE_URL=postgresql://… npm run seed:runs -- 100000       (or SEED_RUNS=100000)
// The measured workspace is SEED_WORKSPACE_ID, else the oldest workspace (the one the API's first start
// made), else a new one; it gets 90 % of the runs, four other workspaces share the rest. Every run has
// the rows the product would have written for it: its events (seq 1…last_seq), its attempts, and an
// inbox item while it needs a person (action_needed, or waiting for an approval); runs a person already
// retried out of action_needed keep their resolved item. Created over the last 90 days (retention of
// the seeded workspaces is set to 120 days, so a retention pass keeps them). Ends with VACUUM and ANALYZE.
import pg from 'pg';

const RUNS = Number(process.argv[2] ?? process.env.SEED_RUNS ?? 1_000_000);
const DAYS = 90;
const MEASURED_AUTOMATIONS = 200;
const OTHER_WORKSPACES = 4;
const OTHER_AUTOMATIONS = 20;

/**
 * A run's story by its status: event types and the attempt each belongs to, as the engine writes them
 * (libs/engine/src/run-engine.ts). `variant` 1 is the less common path (a retry, or a person's retry).
 */
const STORIES = {
  succeeded: [
    ['run.queued:0', 'run.running:1', 'run.succeeded:1'],
    ['run.queued:0', 'run.running:1', 'run.retry_scheduled:1', 'run.running:2', 'run.succeeded:2'],
    // Was action_needed, a person chose retry from the inbox (its item is resolved).
    [
      'run.queued:0',
      'run.running:1',
      'run.action_needed:1',
      'run.queued:1',
      'run.running:2',
      'run.succeeded:2',
    ],
  ],
  failed: [['run.queued:0', 'run.running:1', 'run.retry_scheduled:1', 'run.running:2', 'run.failed:2']],
  action_needed: [
    ['run.queued:0', 'run.running:1', 'run.retry_scheduled:1', 'run.running:2', 'run.action_needed:2'],
  ],
  cancelled: [['run.queued:0', 'run.running:1', 'run.cancelled:1']],
  waiting: [['run.queued:0', 'run.running:1', 'run.waiting:1']],
  running: [['run.queued:0', 'run.running:1']],
  queued: [['run.queued:0']],
};

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL names the (migrated) database to seed');
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`not a run count: ${RUNS}`);

const client = new pg.Client({ connectionString: url });
await client.connect();
const started = Date.now();
const step = async (what, sql, values) => {
  const t = Date.now();
  const result = await client.query(sql, values);
  console.log(
    `  ${what.padEnd(34)} ${String(result.rowCount ?? '').padStart(9)} rows ${((Date.now() - t) / 1000).toFixed(1).padStart(6)} s`,
  );
  return result;
};

try {
  // A bulk load: nothing to lose if the machine dies mid-way (the database is thrown away).
  await client.query(
    `SET synchronous_commit = off; SET work_mem = '64MB'; SET maintenance_work_mem = '256MB'`,
  );
  await client.query('BEGIN');
  const measured =
    process.env.SEED_WORKSPACE_ID ??
    (await client.query(`SELECT id FROM workspaces ORDER BY created_at LIMIT 1`)).rows[0]?.id ??
    (await client.query(`INSERT INTO workspaces (name) VALUES ('Seeded workspace') RETURNING id`)).rows[0].id;
  const batch = Date.now().toString(36);
  // Marks this batch's runs (created_by of an api_key run is free text), so the later steps find them.
  const creator = `seed:${batch}`;
  console.log(`seeding ${RUNS} runs (measured workspace ${measured}, batch ${batch})`);

  // Workspaces: slot 0 is the measured one. Their retention covers the seeded 90 days.
  await client.query(`CREATE TEMP TABLE seed_ws (slot int PRIMARY KEY, id uuid NOT NULL) ON COMMIT DROP`);
  await client.query(`INSERT INTO seed_ws VALUES (0, $1)`, [measured]);
  await step(
    'workspaces',
    `WITH made AS (
       INSERT INTO workspaces (name, run_retention_days)
       SELECT 'Seeded ' || $1 || ' #' || g, 120 FROM generate_series(1, $2) g RETURNING id
     ) INSERT INTO seed_ws SELECT row_number() OVER (), id FROM made`,
    [batch, OTHER_WORKSPACES],
  );
  await client.query(`UPDATE workspaces SET run_retention_days = 120 WHERE id IN (SELECT id FROM seed_ws)`);

  // Automations, each with one deployed version; slot numbers per workspace, 1-based.
  await client.query(
    `CREATE TEMP TABLE seed_auto (ws int, slot int, workspace_id uuid, automation_id uuid, version_id uuid,
       PRIMARY KEY (ws, slot)) ON COMMIT DROP`,
  );
  await step(
    'automations',
    `WITH wanted AS (
       SELECT w.slot AS ws, g AS slot, w.id AS workspace_id
       FROM seed_ws w, generate_series(1, CASE WHEN w.slot = 0 THEN $2::int ELSE $3::int END) g
     ), made AS (
       INSERT INTO automations (workspace_id, name, latest_version, updated_at)
       SELECT workspace_id, 'seed-' || $1 || '-' || ws || '-' || slot, 1, now() FROM wanted
       RETURNING id, workspace_id, name
     ) INSERT INTO seed_auto (ws, slot, workspace_id, automation_id)
       SELECT split_part(name, '-', 3)::int, split_part(name, '-', 4)::int, workspace_id, id FROM made`,
    [batch, MEASURED_AUTOMATIONS, OTHER_AUTOMATIONS],
  );
  await step(
    'versions',
    `WITH v AS (
       INSERT INTO automation_versions (workspace_id, automation_id, number, source, manifest, created_by_kind, created_by)
       SELECT workspace_id, automation_id, 1, 'export default async (input) => ({ y: input.x + 1 })',
              '{"name": "seeded", "retries": {"max": 2}}', 'user', 'seed'
       FROM seed_auto RETURNING id, automation_id
     ), s AS (UPDATE seed_auto a SET version_id = v.id FROM v WHERE v.automation_id = a.automation_id)
     UPDATE automations a SET deployed_version_id = v.id FROM v WHERE v.automation_id = a.id`,
  );

  // The stories as rows: (status, variant, seq, type, attempt).
  await client.query(
    `CREATE TEMP TABLE seed_story (status text, variant int, seq int, type text, attempt int,
       PRIMARY KEY (status, variant, seq)) ON COMMIT DROP`,
  );
  const story = Object.entries(STORIES).flatMap(([status, variants]) =>
    variants.flatMap((events, variant) =>
      events.map((event, i) => {
        const [type, attempt] = event.split(':');
        return [status, variant, i + 1, type, Number(attempt)];
      }),
    ),
  );
  await client.query(
    `INSERT INTO seed_story SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::int[])`,
    [0, 1, 2, 3, 4].map((c) => story.map((row) => row[c])),
  );

  // Runs. One random draw picks the status (86 % succeeded, 6 % failed, 3 % action_needed, 2 % cancelled,
  // 1.5 % waiting, 1 % queued, 0.5 % running), another the automation (skewed: a few automations do
  // most of the work, as in real workspaces). Queued and running runs are recent (they would not
  // stay so for days); the others spread evenly over the last 90 days.
  await client.query(
    `CREATE TEMP TABLE seed_run ON COMMIT DROP AS
     SELECT g, s.status, s.variant, s.attempts, s.events, a.workspace_id, a.automation_id, a.version_id,
            now() - CASE WHEN s.status IN ('queued', 'running') THEN random() * interval '10 minutes'
                         WHEN s.status = 'waiting' THEN random() * interval '12 hours'
                         ELSE random() * make_interval(days => $2) END AS created_at
     FROM generate_series(1, $1::int) g
     CROSS JOIN LATERAL (SELECT random() AS p, random() AS q, random() AS v,
                                CASE WHEN g % 10 = 0 THEN 1 + (g / 10) % $3 ELSE 0 END AS ws) d
     CROSS JOIN LATERAL (
       SELECT st.status, st.variant, sum.attempts, sum.events
       FROM (SELECT CASE WHEN d.p < 0.86 THEN 'succeeded' WHEN d.p < 0.92 THEN 'failed'
                         WHEN d.p < 0.95 THEN 'action_needed' WHEN d.p < 0.97 THEN 'cancelled'
                         WHEN d.p < 0.985 THEN 'waiting' WHEN d.p < 0.995 THEN 'queued' ELSE 'running' END AS status,
                    CASE WHEN d.p < 0.86 THEN (CASE WHEN d.v < 0.10 THEN 1 WHEN d.v < 0.12 THEN 2 ELSE 0 END) ELSE 0 END AS variant) st
       JOIN (SELECT status, variant, max(attempt) AS attempts, max(seq) AS events FROM seed_story GROUP BY 1, 2) sum
         USING (status, variant)
     ) s
     JOIN seed_auto a ON a.ws = d.ws
       AND a.slot = 1 + floor(power(d.q, 3) * CASE WHEN d.ws = 0 THEN $4::int ELSE $5::int END)::int`,
    [RUNS, DAYS, OTHER_WORKSPACES, MEASURED_AUTOMATIONS, OTHER_AUTOMATIONS],
  );
  // Timeline of a run: 1 s between its events, so its last event is at created_at + (events - 1) s.
  await step(
    'runs',
    `INSERT INTO runs (workspace_id, automation_id, version_id, status, trigger, input, output, error,
                       attempt_count, last_seq, next_attempt_at, created_by_kind, created_by,
                       created_at, started_at, finished_at, updated_at)
     SELECT workspace_id, automation_id, version_id, status,
            (ARRAY['api', 'api', 'api', 'webhook', 'cron', 'cron', 'manual', 'event'])[1 + g % 8],
            jsonb_build_object('x', g),
            CASE WHEN status = 'succeeded' THEN jsonb_build_object('y', g + 1) END,
            CASE WHEN status IN ('failed', 'action_needed') THEN
              '{"name": "FetchError", "message": "upstream answered 503", "code": "HTTP_503"}'::jsonb END,
            attempts, events,
            CASE WHEN status = 'waiting' THEN created_at + interval '1 day' END,
            'api_key', $1, created_at,
            CASE WHEN attempts > 0 THEN created_at + interval '1 second' END,
            CASE WHEN status IN ('succeeded', 'failed', 'cancelled', 'action_needed')
                 THEN created_at + make_interval(secs => events - 1) END,
            created_at + make_interval(secs => events - 1)
     FROM seed_run ORDER BY created_at`,
    [creator],
  );
  await step(
    'run_events',
    `INSERT INTO run_events (workspace_id, run_id, seq, type, data, created_at)
     SELECT r.workspace_id, r.id, s.seq, s.type,
            CASE WHEN s.type = 'run.queued' THEN jsonb_build_object('trigger', r.trigger)
                 WHEN s.type = 'run.succeeded' THEN jsonb_build_object('attempt', s.attempt, 'cpuMs', 1.2, 'wallMs', 3.4, 'fetches', 0)
                 WHEN s.type IN ('run.retry_scheduled', 'run.failed', 'run.action_needed') THEN
                   jsonb_build_object('attempt', s.attempt, 'classification', jsonb_build_object('class', 'transient'))
                 ELSE jsonb_build_object('attempt', s.attempt) END,
            r.created_at + make_interval(secs => s.seq - 1)
     FROM runs r
     JOIN seed_story s ON s.status = r.status AND s.seq <= r.last_seq
       AND s.variant = CASE WHEN r.status <> 'succeeded' THEN 0 WHEN r.last_seq = 3 THEN 0 WHEN r.last_seq = 5 THEN 1 ELSE 2 END
     WHERE r.created_by = $1
     ORDER BY r.created_at, s.seq`,
    [creator],
  );
  await step(
    'run_attempts',
    `INSERT INTO run_attempts (workspace_id, run_id, number, version_id, status, output, error, classification,
                               logs, cpu_ms, wall_ms, memory_bytes, fetches, wait, started_at, finished_at)
     SELECT r.workspace_id, r.id, n, r.version_id,
            CASE WHEN n < r.attempt_count THEN 'failed'
                 WHEN r.status = 'succeeded' THEN 'succeeded'
                 WHEN r.status IN ('failed', 'action_needed') THEN 'failed'
                 WHEN r.status = 'cancelled' THEN 'abandoned'
                 ELSE r.status END,
            CASE WHEN n = r.attempt_count AND r.status = 'succeeded' THEN r.output END,
            CASE WHEN n < r.attempt_count OR r.status IN ('failed', 'action_needed') THEN
              '{"name": "FetchError", "message": "upstream answered 503", "code": "HTTP_503"}'::jsonb END,
            CASE WHEN n < r.attempt_count OR r.status IN ('failed', 'action_needed') THEN
              '{"class": "transient", "reason": "HTTP 503"}'::jsonb END,
            jsonb_build_array(jsonb_build_object('level', 'info', 'message', 'fetching page ' || n),
                              jsonb_build_object('level', 'info', 'message', 'done')),
            1.2, 3.4, 8388608, 1,
            CASE WHEN r.status = 'waiting' THEN
              CASE WHEN get_byte(uuid_send(r.id), 15) % 2 = 0 THEN '{"kind": "sleep", "ms": 86400000}'::jsonb
                   ELSE '{"kind": "approval", "title": "Send the invoices?"}'::jsonb END END,
            r.started_at + make_interval(secs => 2 * (n - 1)),
            CASE WHEN n < r.attempt_count OR r.status NOT IN ('running', 'waiting')
                 THEN r.started_at + make_interval(secs => 2 * (n - 1)) + interval '20 milliseconds' END
     FROM runs r, generate_series(1, r.attempt_count) n
     WHERE r.created_by = $1
     ORDER BY r.created_at, n`,
    [creator],
  );
  // A person's work: open items for action_needed runs and approval waits; resolved ones for runs
  // retried from the inbox (variant 2 of succeeded).
  await step(
    'inbox_items',
    `INSERT INTO inbox_items (workspace_id, run_id, automation_id, kind, title, reason, evidence, actions,
                              status, resolution, resolved_by, created_at, resolved_at, expires_at)
     SELECT r.workspace_id, r.id, r.automation_id, k.kind, k.title, k.reason,
            jsonb_build_object('attempts', r.attempt_count), k.actions,
            CASE WHEN r.status = 'succeeded' THEN 'resolved' ELSE 'open' END,
            CASE WHEN r.status = 'succeeded' THEN 'retry' END,
            CASE WHEN r.status = 'succeeded' THEN 'seed' END,
            r.created_at + interval '2 seconds',
            CASE WHEN r.status = 'succeeded' THEN r.created_at + interval '3 seconds' END,
            CASE WHEN k.kind = 'approval' THEN r.created_at + interval '1 day' END
     FROM runs r
     JOIN run_attempts ra ON ra.run_id = r.id AND ra.number = r.attempt_count
     CROSS JOIN LATERAL (
       SELECT CASE WHEN r.status = 'waiting' THEN 'approval' ELSE 'retries_exhausted' END AS kind,
              CASE WHEN r.status = 'waiting' THEN 'Send the invoices?' ELSE 'Retries exhausted' END AS title,
              CASE WHEN r.status = 'waiting' THEN 'the script asks for approval'
                   ELSE 'the upstream kept failing after 2 attempts' END AS reason,
              CASE WHEN r.status = 'waiting' THEN ARRAY['approve', 'reject'] ELSE ARRAY['retry', 'cancel'] END AS actions
     ) k
     WHERE r.created_by = $1
       AND (r.status = 'action_needed' OR (r.status = 'waiting' AND ra.wait->>'kind' = 'approval')
            OR (r.status = 'succeeded' AND r.last_seq = 6))`,
    [creator],
  );
  await client.query('COMMIT');
  // The planner must know the seeded distribution before anything is measured, and the visibility map
  // be set as autovacuum leaves an aged table (index-only scans depend on it).
  const t = Date.now();
  await client.query('VACUUM (ANALYZE) runs, run_events, run_attempts, inbox_items, automations');
  await client.query('ANALYZE');
  console.log(
    `  ${'VACUUM, ANALYZE'.padEnd(34)} ${''.padStart(14)} ${((Date.now() - t) / 1000).toFixed(1).padStart(6)} s`,
  );
  console.log(`seeded ${RUNS} runs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  await client.query('ROLLBACK').catch(() => {});
  throw error;
} finally {
  await client.end();
}
