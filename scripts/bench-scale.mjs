// Benchmark (not a test): how the read routes cost with a lot of stored work. A database migrated like
// the real one (prisma migrate deploy), seeded by scripts/seed-runs.mjs (1,000,000 runs by default, with
// their events, attempts and inbox items), and the real API as its own process; each route is asked
// BENCH_SCALE_REQUESTS times after a warm-up, one request at a time, with an API key. Prints p50/p95/max
// per route, then EXPLAIN (ANALYZE, BUFFERS) of the SQL behind each: the plan's scans (index or
// sequential), rows read and buffers touched.
//   npm run bench:scale                                  (1,000,000 runs; the database is dropped after)
//   BENCH_SCALE_RUNS=100000 npm run bench:scale
//   BENCH_SCALE_DATABASE=mf_scale_bench npm run bench:scale
//       keeps the database: seeded the first time, reused as is (after migrate deploy) the next times.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import pg from 'pg';
import { BOOTSTRAP_KEY, freePort, stackEnv, startScript, waitFor } from '../e2e/support/stack.ts';

const require = createRequire(import.meta.url);
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_SCALE_REQUESTS ?? 100);
const WARMUP = 10;
// A route that takes seconds (the point of measuring before a fix) stops after this many seconds.
const ROUTE_SECONDS = Number(process.env.BENCH_SCALE_ROUTE_SECONDS ?? 30);
const KEPT = process.env.BENCH_SCALE_DATABASE;
const REDIS_DB = Number(process.env.BENCH_SCALE_REDIS_DB ?? 12);

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = KEPT ?? `mf_scale_bench_${Date.now().toString(36)}`;
const dbUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
const redisUrl = `${(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/${REDIS_DB}`;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const exists = await withClient(adminUrl, async (admin) => {
  const found = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName])).rowCount > 0;
  if (!found) await admin.query(`CREATE DATABASE "${dbName}"`);
  return found;
});
// A kept database gets the migrations committed since it was seeded (e.g. a new index).
execFileSync('npx', ['--no-install', 'prisma', 'migrate', 'deploy'], {
  env: { ...process.env, DATABASE_URL: dbUrl, CHECKPOINT_DISABLE: '1' },
  stdio: 'pipe',
});

const port = await freePort();
const apiUrl = `http://127.0.0.1:${port}`;
// The API alone (no worker: nothing may move the seeded runs); its first start makes the workspace,
// its owner and the bootstrap key, which the seed then fills.
const api = startScript('start:api', stackEnv({ databaseUrl: dbUrl, redisUrl, port }));
/** Stops the API and drops a database this run made (not a kept one); also on Ctrl-C. */
const cleanUp = async () => {
  await api.stop();
  if (!KEPT) {
    await withClient(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => cleanUp().finally(() => process.exit(130)));
}
try {
  await waitFor(`${apiUrl}/readyz`, api);
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  try {
    const workspaceId = (
      await db.query(
        `SELECT k.workspace_id AS id FROM api_keys k WHERE k.name = 'bootstrap' ORDER BY k.created_at LIMIT 1`,
      )
    ).rows[0].id;
    const stored = Number((await db.query('SELECT count(*) FROM runs')).rows[0].count);
    if (stored === 0) {
      console.log(`seeding ${dbName}`);
      execFileSync('node', ['scripts/seed-runs.mjs', String(RUNS)], {
        env: { ...process.env, DATABASE_URL: dbUrl, SEED_WORKSPACE_ID: workspaceId },
        stdio: 'inherit',
      });
    } else {
      console.log(`reusing ${dbName} (${stored} runs${exists ? '' : ', just made'}); VACUUM (ANALYZE)`);
      await db.query('VACUUM (ANALYZE)');
    }
    const cases = await benchCases(db, workspaceId);
    const total = Number((await db.query('SELECT count(*) FROM runs')).rows[0].count);
    const inWorkspace = Number(
      (await db.query('SELECT count(*) FROM runs WHERE workspace_id = $1', [workspaceId])).rows[0].count,
    );
    console.log(
      `\nMendflow read routes at scale: ${total} runs (${inWorkspace} in the measured workspace), ` +
        `${REQUESTS} sequential requests each after ${WARMUP} warm-up\n`,
    );
    console.log(
      `${'route'.padEnd(48)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
    );
    for (const c of cases) {
      const times = await measure(apiUrl, c);
      const sorted = times.sort((a, b) => a - b);
      console.log(
        `${c.name.padEnd(48)} ${percentile(sorted, 50).toFixed(1).padStart(8)} ${percentile(sorted, 95).toFixed(1).padStart(8)} ${sorted.at(-1).toFixed(1).padStart(8)} ${String(sorted.length).padStart(4)}`,
      );
    }
    console.log('\nPlans (EXPLAIN ANALYZE, BUFFERS) of the SQL behind each route:');
    for (const c of cases) {
      const statements = c.sql ? await c.sql() : [];
      if (statements.length === 0)
        console.log(`\n${c.name}: (through Prisma's query builder; see the route above)`);
      for (const [i, sql] of statements.entries()) {
        console.log(`\n${c.name}${statements.length > 1 ? ` [${i + 1}]` : ''}`);
        console.log(await explain(db, sql.text, sql.values));
      }
    }
  } finally {
    await db.end();
  }
} finally {
  await cleanUp();
}

/**
 * Requests `c.path(i)` (a new path per request: different runs for the run page) and times each; stops
 * early when the route has used up ROUTE_SECONDS.
 */
async function measure(base, c) {
  const times = [];
  const deadline = performance.now() + ROUTE_SECONDS * 1000;
  for (let i = 0; i < WARMUP + REQUESTS && performance.now() < deadline; i++) {
    const started = performance.now();
    const response = await fetch(`${base}${c.path(i)}`, {
      headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` },
    });
    const body = await response.text();
    if (!response.ok) throw new Error(`${c.name}: ${response.status} ${body.slice(0, 300)}`);
    times.push(performance.now() - started);
  }
  // A route too slow to get past its warm-up in time is reported on the warm-up requests.
  return times.length > WARMUP ? times.slice(WARMUP) : times;
}

/**
 * The SQL a repository method sends, with its values: the method runs against a stand-in that records
 * each raw statement instead of sending it (Prisma.sql renders the same text and parameters).
 */
async function capture(call) {
  const { Prisma } = require('../libs/db/dist/generated/prisma/client.js');
  const statements = [];
  const record = (strings, ...values) => {
    const sql = Prisma.sql(strings, ...values);
    statements.push({ text: sql.text, values: sql.values });
    return Promise.resolve([]);
  };
  // Calls through Prisma's query builder (no raw SQL) fail on the stand-in; what came before is kept.
  await Promise.resolve(call({ $queryRaw: record, $executeRaw: record })).catch(() => {});
  return statements;
}

/** A statement Prisma's query builder sends (written out here: the stand-in cannot record those). */
function prismaBuilt(text, values) {
  return { text, values };
}

/**
 * The routes, with the parameters that make them hard: the busiest automation and a small one, a rare
 * status, a cursor about half way down the workspace's history; and the SQL behind each, taken from the
 * repositories themselves, for the plans.
 */
async function benchCases(db, workspaceId) {
  const dbLib = require('../libs/db/dist/index.js');
  const runs = (stub) => new dbLib.RunsRepository(stub);
  const stats = (stub) => new dbLib.StatsRepository(stub);
  const inbox = (stub) => new dbLib.InboxRepository(stub);
  const one = async (sql, values) => (await db.query(sql, values)).rows[0];
  const busiest = await one(
    `SELECT automation_id AS id, count(*)::int AS n FROM runs WHERE workspace_id = $1 GROUP BY 1 ORDER BY 2 DESC LIMIT 1`,
    [workspaceId],
  );
  const small = await one(
    `SELECT automation_id AS id, count(*)::int AS n FROM runs WHERE workspace_id = $1 GROUP BY 1 ORDER BY 2 ASC LIMIT 1`,
    [workspaceId],
  );
  const median = await one(
    `SELECT id, n FROM (SELECT automation_id AS id, count(*)::int AS n FROM runs WHERE workspace_id = $1 GROUP BY 1) c
     ORDER BY n OFFSET (SELECT count(DISTINCT automation_id) / 2 FROM runs WHERE workspace_id = $1) LIMIT 1`,
    [workspaceId],
  );
  const inWorkspace = Number(
    (await one('SELECT count(*) FROM runs WHERE workspace_id = $1', [workspaceId])).count,
  );
  const half = await one(
    `SELECT created_at, id FROM runs WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1`,
    [workspaceId, Math.floor(inWorkspace / 2)],
  );
  const deep = dbLib.encodeCursor({ createdAt: half.created_at, id: half.id });
  // Runs spread over the whole history (a sample of pages), a different one per request.
  const sample = (
    await db.query(
      `SELECT id FROM runs TABLESAMPLE SYSTEM (1) WHERE workspace_id = $1 AND last_seq >= 3 LIMIT $2`,
      [workspaceId, WARMUP + REQUESTS],
    )
  ).rows.map((r) => r.id);
  const runAt = (i) => sample[i % sample.length];
  const listCase = (name, query, filters, cursor) => ({
    name,
    path: () => `/api/v1/runs?limit=50${query}${cursor ? `&cursor=${cursor}` : ''}`,
    sql: () => capture((stub) => runs(stub).list(workspaceId, filters, { limit: 50, cursor })),
  });
  return [
    listCase('GET /runs (first page)', '', {}),
    listCase('GET /runs?status=failed', '&status=failed', { status: 'failed' }),
    listCase('GET /runs?status=waiting (rare)', '&status=waiting', { status: 'waiting' }),
    listCase(`GET /runs?automationId (busiest, ${busiest.n})`, `&automationId=${busiest.id}`, {
      automationId: busiest.id,
    }),
    listCase(`GET /runs?automationId (median, ${median.n})`, `&automationId=${median.id}`, {
      automationId: median.id,
    }),
    listCase(`GET /runs?automationId (smallest, ${small.n})`, `&automationId=${small.id}`, {
      automationId: small.id,
    }),
    listCase('GET /runs?status=failed&automationId (small)', `&status=failed&automationId=${small.id}`, {
      status: 'failed',
      automationId: small.id,
    }),
    listCase('GET /runs?cursor (half way)', '', {}, deep),
    listCase('GET /runs?status=failed&cursor (half way)', '&status=failed', { status: 'failed' }, deep),
    listCase(
      'GET /runs?automationId&cursor (busiest)',
      `&automationId=${busiest.id}`,
      { automationId: busiest.id },
      deep,
    ),
    listCase(
      'GET /runs?automationId&cursor (median)',
      `&automationId=${median.id}`,
      { automationId: median.id },
      deep,
    ),
    // The cursor is older than every waiting run (they are all recent): the page is empty.
    listCase(
      'GET /runs?status=waiting&cursor (past the last)',
      '&status=waiting',
      { status: 'waiting' },
      deep,
    ),
    {
      name: 'GET /runs/:id',
      path: (i) => `/api/v1/runs/${runAt(i)}`,
      sql: async () => [
        ...(await capture((stub) => runs(stub).get(workspaceId, runAt(0)))),
        prismaBuilt(`SELECT * FROM run_attempts WHERE workspace_id = $1 AND run_id = $2 ORDER BY number`, [
          workspaceId,
          runAt(0),
        ]),
      ],
    },
    {
      name: 'GET /runs/:id/events',
      path: (i) => `/api/v1/runs/${runAt(i)}/events`,
      sql: async () => [
        prismaBuilt(
          `SELECT * FROM run_events WHERE workspace_id = $1 AND run_id = $2 AND seq > 0 ORDER BY seq LIMIT 1000`,
          [workspaceId, runAt(0)],
        ),
      ],
    },
    { name: 'GET /runs/:id/logs', path: (i) => `/api/v1/runs/${runAt(i)}/logs` },
    {
      name: 'GET /stats/overview (24 h)',
      path: () => '/api/v1/stats/overview',
      sql: async () => [
        ...(await capture((stub) => stats(stub).runsPerHour(workspaceId, 24))),
        ...(await capture((stub) => stats(stub).needingAttention(workspaceId, 10))),
      ],
    },
    {
      name: 'GET /stats/overview?hours=168',
      path: () => '/api/v1/stats/overview?hours=168',
      sql: () => capture((stub) => stats(stub).runsPerHour(workspaceId, 168)),
    },
    {
      name: 'GET /automations (50, with stats)',
      path: () => '/api/v1/automations?limit=50',
      sql: async () => {
        const ids = (
          await db.query(
            `SELECT id FROM automations WHERE workspace_id = $1 ORDER BY created_at DESC LIMIT 50`,
            [workspaceId],
          )
        ).rows.map((r) => r.id);
        return capture((stub) => stats(stub).forAutomations(workspaceId, ids));
      },
    },
    {
      name: 'GET /inbox (open)',
      path: () => '/api/v1/inbox',
      sql: async () => {
        const raw = await capture((stub) => inbox(stub).list(workspaceId, { status: 'open', limit: 50 }));
        return raw.length > 0
          ? raw
          : [
              prismaBuilt(
                `SELECT * FROM inbox_items WHERE workspace_id = $1 AND status = 'open' ORDER BY created_at DESC LIMIT 50`,
                [workspaceId],
              ),
            ];
      },
    },
    { name: 'GET /inbox?status=resolved', path: () => '/api/v1/inbox?status=resolved' },
  ];
}

/** The plan's shape in a few lines: each node with its actual rows, loops and buffers. */
async function explain(db, text, values) {
  const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, values);
  const plan = rows[0]['QUERY PLAN'][0];
  const lines = [];
  const walk = (node, depth) => {
    // Branches the executor never entered (a CASE's subquery for runs that wait for nothing) say nothing.
    if (node['Actual Loops'] === 0) return;
    const what = [
      node['Node Type'],
      node['Index Name'] && `using ${node['Index Name']}`,
      node['Relation Name'] && `on ${node['Relation Name']}`,
    ]
      .filter(Boolean)
      .join(' ');
    const removed = node['Rows Removed by Filter']
      ? `, ${node['Rows Removed by Filter']} removed by filter`
      : '';
    const buffers = (node['Shared Hit Blocks'] ?? 0) + (node['Shared Read Blocks'] ?? 0);
    lines.push(
      `  ${'  '.repeat(depth)}${what}: rows ${node['Actual Rows']} x ${node['Actual Loops']} loops${removed}, ${buffers} buffers`,
    );
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  const sequential = [];
  const findSequential = (node) => {
    if (node['Node Type'] === 'Seq Scan' && node['Actual Loops'] > 0) sequential.push(node['Relation Name']);
    for (const child of node.Plans ?? []) findSequential(child);
  };
  walk(plan.Plan, 0);
  findSequential(plan.Plan);
  lines.push(
    `  execution ${plan['Execution Time'].toFixed(2)} ms; sequential scans: ${sequential.length ? sequential.join(', ') : 'none'}`,
  );
  return lines.join('\n');
}
