import { DomainError } from '@mendflow/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../database';
import { createTestDatabase, seedAutomation, type TestDatabase } from '../testing/test-database';
import { RunsRepository, StaleDeploymentError } from './runs.repository';

let database: TestDatabase;
let db: Db;
let runs: RunsRepository;
let workspaceId: string;
let automationId: string;
let versionId: string;

const start = (idempotencyKey: string, input: unknown, extra: { idempotencyTtlHours?: number } = {}) =>
  runs.createQueued(workspaceId, {
    automationId,
    versionId,
    trigger: 'api',
    input,
    idempotencyKey,
    ...extra,
  });

beforeAll(async () => {
  database = await createTestDatabase('runs_idempotency');
  db = createDb(database.url, { poolSize: 4 });
  runs = new RunsRepository(db);
  ({ workspaceId, automationId, versionId } = await seedAutomation(db, 'idempotency'));
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('idempotency keys with a time to live (PostgreSQL)', () => {
  it('returns the same run for the same key and the same input, key order aside', async () => {
    const first = await start('same', { a: 1, b: [1, 2] });
    const again = await start('same', { b: [1, 2], a: 1 });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, run: { id: first.run.id } });
    const [row] = await db.$queryRaw<{ ttl: number }[]>`
      SELECT extract(epoch FROM idempotency_expires_at - created_at)::int AS ttl FROM runs WHERE id = ${first.run.id}::uuid`;
    expect(row!.ttl).toBeGreaterThanOrEqual(24 * 3600 - 1);
    expect(row!.ttl).toBeLessThanOrEqual(24 * 3600 + 1);
  });

  it('answers 409 IDEMPOTENCY_KEY_REUSED for the same key with another input, and starts nothing', async () => {
    const first = await start('different', { a: 1 });
    const error = await start('different', { a: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      kind: 'conflict',
      details: { field: 'idempotencyKey', runId: first.run.id },
    });
    const count = await db.run.count({ where: { workspaceId, idempotencyKey: 'different' } });
    expect(count).toBe(1);
    // No input and a null input are different requests too.
    await start('absent', undefined);
    await expect(start('absent', null)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('starts a new run once the key expired; the old run keeps everything but the key', async () => {
    const old = await start('expiring', { a: 1 });
    await db.$executeRaw`UPDATE runs SET idempotency_expires_at = now() - interval '1 second' WHERE id = ${old.run.id}::uuid`;
    const fresh = await start('expiring', { a: 2 });
    expect(fresh.created).toBe(true);
    expect(fresh.run.id).not.toBe(old.run.id);
    expect(fresh.run.idempotencyKey).toBe('expiring');
    const released = await runs.get(workspaceId, old.run.id);
    expect(released).toMatchObject({ idempotencyKey: null, input: { a: 1 }, status: 'queued' });
  });

  it('holds a key for the configured hours', async () => {
    const run = await start('short', {}, { idempotencyTtlHours: 1 });
    const [row] = await db.$queryRaw<{ ttl: number }[]>`
      SELECT extract(epoch FROM idempotency_expires_at - created_at)::int AS ttl FROM runs WHERE id = ${run.run.id}::uuid`;
    expect(Math.abs(row!.ttl - 3600)).toBeLessThanOrEqual(1);
  });

  it('lets parallel first uses of a key create exactly one run', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => start('parallel', { n: 1 })));
    expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('keeps a run’s trigger context', async () => {
    const { run } = await runs.createQueued(workspaceId, {
      automationId,
      versionId,
      trigger: 'webhook',
      input: { body: 'x' },
      triggerContext: { kind: 'webhook', contentType: 'text/plain' },
    });
    expect(run.triggerContext).toEqual({ kind: 'webhook', contentType: 'text/plain' });
    expect((await runs.get(workspaceId, run.id)).triggerContext).toEqual({
      kind: 'webhook',
      contentType: 'text/plain',
    });
  });

  it('inserts a run started on a cached version only while that version is deployed on an active automation', async () => {
    const cachedStart = (idempotencyKey?: string) =>
      runs.createQueued(workspaceId, {
        automationId,
        versionId,
        trigger: 'api',
        input: { cached: true },
        onlyIfDeployed: true,
        ...(idempotencyKey && { idempotencyKey }),
      });
    const count = async () => (await db.run.count({ where: { automationId } })) as number;
    expect((await cachedStart()).created).toBe(true);
    const before = await count();
    try {
      await db.automation.update({ where: { id: automationId }, data: { status: 'paused' } });
      await expect(cachedStart()).rejects.toBeInstanceOf(StaleDeploymentError);
      await expect(cachedStart('cached-key')).rejects.toBeInstanceOf(StaleDeploymentError);
      await db.automation.update({
        where: { id: automationId },
        data: { status: 'active', deployedVersionId: null },
      });
      await expect(cachedStart()).rejects.toBeInstanceOf(StaleDeploymentError);
      expect(await count()).toBe(before);
    } finally {
      await db.automation.update({
        where: { id: automationId },
        data: { status: 'active', deployedVersionId: versionId },
      });
    }
    expect((await cachedStart('cached-key')).created).toBe(true);
    expect((await cachedStart('cached-key')).created).toBe(false);
  });
});
