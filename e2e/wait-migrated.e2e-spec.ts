import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, databaseUrl, dropDatabase, queryDatabase as query } from './support/databases';

// scripts/wait-migrated.mjs (the Kubernetes apps' init container) as a real process against real
// PostgreSQL: done at once on a migrated database, waiting (then done) while a migration is missing,
// bounded by MIGRATE_WAIT_TIMEOUT_MS, and never printing the database URL.
const ROOT = path.resolve(__dirname, '..');
const MIGRATIONS = readdirSync(path.join(ROOT, 'prisma/migrations'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const created: string[] = [];

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function waitMigrated(env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, ['scripts/wait-migrated.mjs'], {
    cwd: ROOT,
    env: { ...process.env, MIGRATE_WAIT_INTERVAL_MS: '100', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function database(label: string, migrated: boolean): Promise<string> {
  const name = await createDatabase(label, { migrated });
  created.push(name);
  return name;
}

afterAll(async () => {
  for (const name of created) await dropDatabase(name);
});

describe('npm run db:wait-migrated', () => {
  it('exits 0 at once when every migration folder has its applied row', async () => {
    const name = await database('waitmig_done', true);
    const run = waitMigrated({ DATABASE_URL: databaseUrl(name), MIGRATE_WAIT_TIMEOUT_MS: '20000' });
    expect(await run.exit).toBe(0);
    expect(MIGRATIONS.length).toBeGreaterThan(1);
    expect(run.output()).toContain(`all ${MIGRATIONS.length} migrations of this version are applied`);
    expect(run.output()).toContain(`latest ${MIGRATIONS.at(-1)}`);
  });

  it('waits while the latest migration is missing, and exits 0 once its row is recorded', async () => {
    const name = await database('waitmig_pending', true);
    const latest = MIGRATIONS.at(-1)!;
    const [row] = await query<Record<string, unknown>>(
      name,
      'DELETE FROM _prisma_migrations WHERE migration_name = $1 RETURNING *',
      [latest],
    );
    expect(row).toBeDefined();
    const run = waitMigrated({ DATABASE_URL: databaseUrl(name), MIGRATE_WAIT_TIMEOUT_MS: '30000' });
    const deadline = Date.now() + 15_000;
    while (!run.output().includes('waiting:') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(run.output()).toContain(
      `[db] waiting: 1 of ${MIGRATIONS.length} migrations not applied yet: ${latest}`,
    );
    // First as prisma records a migration it has started, then as one it finished.
    await query(
      name,
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [row!.id, row!.checksum, latest],
    );
    await query(
      name,
      'UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
      [row!.id],
    );
    expect(await run.exit).toBe(0);
    expect(run.output()).toContain('are applied');
  });

  it('gives up after MIGRATE_WAIT_TIMEOUT_MS on a database never migrated, naming why', async () => {
    const name = await database('waitmig_empty', false);
    const started = Date.now();
    const run = waitMigrated({ DATABASE_URL: databaseUrl(name), MIGRATE_WAIT_TIMEOUT_MS: '1500' });
    expect(await run.exit).toBe(1);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(10_000);
    expect(run.output()).toContain('[db] gave up after MIGRATE_WAIT_TIMEOUT_MS=1500');
    expect(run.output()).toContain('no _prisma_migrations table yet');
  });

  it('counts a migration started and not finished as missing, and says so', async () => {
    const name = await database('waitmig_failed', true);
    const latest = MIGRATIONS.at(-1)!;
    await query(name, 'UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = $1', [latest]);
    const run = waitMigrated({ DATABASE_URL: databaseUrl(name), MIGRATE_WAIT_TIMEOUT_MS: '800' });
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain(`${latest} started and not finished`);
  });

  it('keeps trying an unreachable server until the deadline, without printing its password', async () => {
    const run = waitMigrated({
      DATABASE_URL: 'postgresql://mendflow:sekret-pw@127.0.0.1:1/mendflow',
      MIGRATE_WAIT_TIMEOUT_MS: '1200',
    });
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain('cannot read the database');
    expect(run.output()).not.toContain('sekret-pw');
  });

  it('rejects a timeout that is not a number of milliseconds (exit 2, naming the variable)', async () => {
    const run = waitMigrated({ DATABASE_URL: databaseUrl('postgres'), MIGRATE_WAIT_TIMEOUT_MS: '10s' });
    expect(await run.exit).toBe(2);
    expect(run.output()).toContain('MIGRATE_WAIT_TIMEOUT_MS must be a whole number of milliseconds');
  });
});
