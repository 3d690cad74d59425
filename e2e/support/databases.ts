import pg from 'pg';
import { E2E_TEMPLATE_DATABASE } from './stack';

const adminUrl = () => process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** The URL of database `name` on the test server (same credentials as TEST_DATABASE_URL). */
export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own for a test: `migrated` clones the template the e2e global setup migrated with
 * the real `prisma migrate deploy` (schema and _prisma_migrations alike); otherwise it is empty.
 */
export async function createDatabase(label: string, options: { migrated: boolean }): Promise<string> {
  const name = `mendflow_e2e_${label}_${process.pid}_${Date.now().toString(36)}`;
  const template = process.env[E2E_TEMPLATE_DATABASE];
  if (options.migrated && !template) throw new Error('no migrated template: run under the e2e project');
  await adminQuery(`CREATE DATABASE "${name}"${options.migrated ? ` TEMPLATE "${template}"` : ''}`);
  return name;
}

export function dropDatabase(name: string): Promise<void> {
  return adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** Rows of one statement against database `name` (its own connection, closed after). */
export async function queryDatabase<T extends pg.QueryResultRow>(
  name: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
