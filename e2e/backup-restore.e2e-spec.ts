import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, databaseUrl, dropDatabase, queryDatabase as query } from './support/databases';

// docs/operations.md "Backup and restore", run as written there: the two shell blocks after the marker
// comment are taken from the document and executed with bash against real PostgreSQL (pg_dump, createdb,
// pg_restore). A migrated database with rows goes in; the restored copy must hold the same rows and the
// same migration history, and count as migrated for scripts/wait-migrated.mjs.
const ROOT = path.resolve(__dirname, '..');
const MARKER = '<!-- e2e/backup-restore.e2e-spec.ts runs this block and the next one';
const work = mkdtempSync(path.join(tmpdir(), 'mendflow-backup-'));
const databases: string[] = [];

function documentedBlocks(): [string, string] {
  const doc = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
  const from = doc.indexOf(MARKER);
  if (from < 0) throw new Error('docs/operations.md lost the backup marker');
  const blocks = [...doc.slice(from).matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
  if (blocks.length < 2) throw new Error('docs/operations.md: two sh blocks expected after the marker');
  return [blocks[0]!, blocks[1]!];
}

afterAll(async () => {
  for (const name of databases) await dropDatabase(name);
  rmSync(work, { recursive: true, force: true });
});

describe('the documented PostgreSQL backup and restore', () => {
  it('restores the rows and the migration history into a new database', async () => {
    const [backup, restore] = documentedBlocks();
    expect(backup).toContain('pg_dump --format=custom');
    expect(restore).toContain('pg_restore');

    const source = await createDatabase('backup_src', { migrated: true });
    databases.push(source);
    const [workspace] = await query<{ id: string }>(
      source,
      `INSERT INTO workspaces (name) VALUES ('backed up') RETURNING id`,
    );
    await query(
      source,
      `INSERT INTO automations (workspace_id, name, description, updated_at) VALUES ($1, 'nightly', 'kept: ünïcode', now())`,
      [workspace!.id],
    );
    const migrations = `SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`;
    const history = await query(source, migrations);
    expect(history.length).toBeGreaterThan(1);

    const restoreDb = `${source}_restored`;
    databases.push(restoreDb);
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl(source),
      BACKUP_FILE: path.join(work, 'mendflow.dump'),
      RESTORE_DB: restoreDb,
      RESTORE_DATABASE_URL: databaseUrl(restoreDb),
    };
    for (const block of [backup, restore]) {
      execFileSync('bash', ['-euo', 'pipefail', '-c', block], { env, stdio: 'pipe' });
    }

    expect(await query(restoreDb, 'SELECT id, name FROM workspaces')).toEqual([
      { id: workspace!.id, name: 'backed up' },
    ]);
    expect(await query(restoreDb, 'SELECT workspace_id, name, description FROM automations')).toEqual([
      { workspace_id: workspace!.id, name: 'nightly', description: 'kept: ünïcode' },
    ]);
    expect(await query(restoreDb, migrations)).toEqual(history);
    // The restored database counts as migrated: the apps' init container lets them start on it.
    const waited = spawnSync(process.execPath, ['scripts/wait-migrated.mjs'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl(restoreDb), MIGRATE_WAIT_TIMEOUT_MS: '10000' },
      encoding: 'utf8',
    });
    expect(waited.stdout).toContain('migrations of this version are applied');
    expect(waited.status).toBe(0);
  });

  it('refuses to restore into a database that already exists (the documented createdb fails first)', async () => {
    const [, restore] = documentedBlocks();
    const existing = await createDatabase('backup_existing', { migrated: true });
    databases.push(existing);
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', restore], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl(existing),
        BACKUP_FILE: path.join(work, 'none.dump'),
        RESTORE_DB: existing,
        RESTORE_DATABASE_URL: databaseUrl(existing),
      },
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('already exists');
  });
});
