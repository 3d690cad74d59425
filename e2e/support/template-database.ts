import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { E2E_TEMPLATE_DATABASE } from './stack';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Global setup of the e2e project. Every spec starts its own stack on a fresh database; migrating each
 * one with `prisma migrate deploy` cost 10–17 s per spec on this machine, so the real command runs once,
 * here, into a template, and startStack clones it (CREATE DATABASE … TEMPLATE, well under a second): each
 * stack still gets the schema and the `_prisma_migrations` history that deploy writes.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const name = `mendflow_e2e_template_${process.pid}_${Date.now().toString(36)}`;
  await admin(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  execFileSync('npx', ['--no-install', 'prisma', 'migrate', 'deploy'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url.toString(), CHECKPOINT_DISABLE: '1' },
    stdio: 'pipe',
  });
  // The spec processes start after global setup and inherit this environment.
  process.env[E2E_TEMPLATE_DATABASE] = name;
  return () => admin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

async function admin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
