// npm run db:wait-migrated: waits until every migration in prisma/migrations is applied to the database
// DATABASE_URL names, then exits 0; exits 1 once MIGRATE_WAIT_TIMEOUT_MS (default 10 min) has passed
// without that. The Kubernetes API and worker pods run it as their init container (k8s/README.md), so a
// new version's pods wait for the migrate Job instead of serving on the old schema.
//
// "Applied" is what `prisma migrate deploy` records: a row of _prisma_migrations with the folder's name,
// finished_at set and rolled_back_at not. A database ahead of this image (a rollback of the app) is fine:
// its extra migrations are reported, not waited for. Reads .env when present (the environment wins).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const MIGRATIONS_DIR = new URL('../prisma/migrations/', import.meta.url);

function loadDotEnv() {
  if (!existsSync('.env')) return;
  for (const line of readFileSync('.env', 'utf8').split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match && process.env[match[1]] === undefined)
      process.env[match[1]] = match[2].replace(/^"(.*)"$/, '$1');
  }
}

function fail(message, code) {
  console.error(`[db] ${message}`);
  process.exit(code);
}

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    fail(`${name} must be a whole number of milliseconds (≥ 1), got "${raw}"`, 2);
  return Number(raw);
}

/** The migrations this image carries: the folders holding a migration.sql, in their (timestamp) order. */
function expectedMigrations() {
  return readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(new URL(`${entry.name}/migration.sql`, MIGRATIONS_DIR)),
    )
    .map((entry) => entry.name)
    .sort();
}

/** What the database holds, or why it could not be read (never the URL: it may carry a password). */
async function appliedMigrations(url, timeoutMs) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: Math.max(1000, timeoutMs) });
  try {
    await client.connect();
    const { rows } = await client.query(
      'SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM _prisma_migrations',
    );
    return {
      applied: new Set(
        rows.filter((row) => row.finished && !row.rolled_back).map((row) => row.migration_name),
      ),
      unfinished: rows.filter((row) => !row.finished && !row.rolled_back).map((row) => row.migration_name),
    };
  } catch (error) {
    // 42P01 undefined_table: nothing was ever migrated here; 3D000: the database does not exist yet
    // (the migrate Job creates it).
    if (error.code === '42P01') return { reason: 'no _prisma_migrations table yet (nothing migrated)' };
    if (error.code === '3D000') return { reason: 'the database does not exist yet' };
    return { reason: `cannot read the database: ${error.message}` };
  } finally {
    await client.end().catch(() => {});
  }
}

loadDotEnv();
const url = process.env.DATABASE_URL;
if (!url) fail('DATABASE_URL is missing: set it in the environment or in .env (see .env.example)', 2);
const timeoutMs = positiveInt('MIGRATE_WAIT_TIMEOUT_MS', 600_000);
const intervalMs = positiveInt('MIGRATE_WAIT_INTERVAL_MS', 2000);
const expected = expectedMigrations();
if (expected.length === 0) fail(`no migrations in ${MIGRATIONS_DIR.pathname}`, 2);

const deadline = Date.now() + timeoutMs;
let lastStatus = '';
for (;;) {
  const state = await appliedMigrations(url, deadline - Date.now());
  let status;
  if (state.reason) {
    status = state.reason;
  } else {
    const missing = expected.filter((name) => !state.applied.has(name));
    if (missing.length === 0) {
      const extra = [...state.applied].filter((name) => !expected.includes(name)).sort();
      console.log(
        `[db] all ${expected.length} migrations of this version are applied (latest ${expected.at(-1)})` +
          (extra.length > 0 ? `; the database also has ${extra.length} newer: ${extra.join(', ')}` : ''),
      );
      process.exit(0);
    }
    const unfinished = missing.filter((name) => state.unfinished.includes(name));
    status =
      `${missing.length} of ${expected.length} migrations not applied yet: ${missing.join(', ')}` +
      (unfinished.length > 0
        ? ` (${unfinished.join(', ')} started and not finished: running now, or failed — see the migrate Job's log)`
        : '');
  }
  // Said once per change, not once per poll.
  if (status !== lastStatus) console.log(`[db] waiting: ${status}`);
  lastStatus = status;
  const left = deadline - Date.now();
  if (left <= 0) fail(`gave up after MIGRATE_WAIT_TIMEOUT_MS=${timeoutMs}: ${status}`, 1);
  await sleep(Math.min(intervalMs, left));
}
