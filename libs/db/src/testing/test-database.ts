import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultManifest } from '@mendflow/common';
import pg from 'pg';
import type { Db } from '../database';
import { AutomationsRepository } from '../repositories/automations.repository';
import { WorkspacesRepository } from '../repositories/workspaces.repository';

const MIGRATIONS_DIR = path.resolve(__dirname, '../../../../prisma/migrations');

export interface TestDatabase {
  url: string;
  /** Applies the migrations held back with `stopBefore` (a migration test seeds the old shape first). */
  migrate(): Promise<void>;
  drop(): Promise<void>;
}

/**
 * A fresh PostgreSQL database with every committed migration applied, for one test file. Tests talk to
 * a real database (never a mock); each file gets its own so they cannot see each other's rows.
 */
export async function createTestDatabase(
  label: string,
  options: { stopBefore?: string } = {},
): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const name = `mendflow_test_${label.replace(/\W/g, '_')}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const migrations = readdirSync(MIGRATIONS_DIR)
    .filter((entry) => /^\d+_/.test(entry))
    .sort();
  const held = options.stopBefore ? migrations.indexOf(options.stopBefore) : -1;
  if (options.stopBefore && held < 0) throw new Error(`no migration ${options.stopBefore}`);
  const apply = async (dirs: string[]) => {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      for (const dir of dirs) {
        await client.query(readFileSync(path.join(MIGRATIONS_DIR, dir, 'migration.sql'), 'utf8'));
      }
    } finally {
      await client.end();
    }
  };
  await apply(held < 0 ? migrations : migrations.slice(0, held));
  return {
    url: url.toString(),
    migrate: () => apply(held < 0 ? [] : migrations.slice(held)),
    async drop() {
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

export interface SeededAutomation {
  workspaceId: string;
  userId: string;
  automationId: string;
  versionId: string;
}

/** A workspace with its owner and one automation (version 1 deployed): the usual starting point of a test. */
export async function seedAutomation(db: Db, label: string): Promise<SeededAutomation> {
  const owner = await new WorkspacesRepository(db).createWorkspaceWithOwner({
    workspaceName: label,
    email: `${label}@owner.test`,
    passwordHash: 'not-a-real-hash',
  });
  const automation = await new AutomationsRepository(db).create(owner.workspaceId, {
    name: label,
    source: 'export default async () => 1',
    language: 'javascript',
    manifest: defaultManifest(),
    createdByKind: 'user',
    createdBy: owner.userId,
  });
  return {
    workspaceId: owner.workspaceId,
    userId: owner.userId,
    automationId: automation.id,
    versionId: automation.deployedVersion!.id,
  };
}
