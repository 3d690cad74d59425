import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../database';
import { createTestDatabase, seedAutomation, type TestDatabase } from '../testing/test-database';
import { RunExecutionRepository, type StartedAttempt } from './run-execution.repository';
import { RunsRepository } from './runs.repository';

let database: TestDatabase;
let db: Db;
let runs: RunsRepository;
let execution: RunExecutionRepository;
let workspaceId: string;
let otherWorkspaceId: string;
let automationId: string;
let versionId: string;

const finish = (runId: string, status: 'succeeded' | 'failed') =>
  execution.transition(workspaceId, runId, {
    from: ['running'],
    to: status,
    event: { type: `run.${status}`, data: { attempt: 1 } },
    output: status === 'succeeded' ? { ok: true } : undefined,
    attempt: {
      number: 1,
      outcome: {
        status,
        output: status === 'succeeded' ? { ok: true } : undefined,
        error: status === 'failed' ? { name: 'Error', message: 'boom' } : undefined,
        logs: [],
        recording: { version: 1, calls: [] },
        cost: { cpuMs: 1, wallMs: 2, memoryBytes: 1000, fetches: 0 },
      },
    },
  });

beforeAll(async () => {
  database = await createTestDatabase('runs');
  db = createDb(database.url, { poolSize: 4 });
  runs = new RunsRepository(db);
  execution = new RunExecutionRepository(db);
  ({ workspaceId, automationId, versionId } = await seedAutomation(db, 'runs'));
  otherWorkspaceId = (await seedAutomation(db, 'other')).workspaceId;
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('RunsRepository and RunExecutionRepository (PostgreSQL)', () => {
  it('creates a queued run with seq 1, and the same idempotency key returns the same run', async () => {
    const first = await runs.createQueued(workspaceId, {
      automationId,
      versionId,
      trigger: 'api',
      input: { a: 1 },
      idempotencyKey: 'k1',
    });
    const again = await runs.createQueued(workspaceId, {
      automationId,
      versionId,
      trigger: 'api',
      input: { a: 1 },
      idempotencyKey: 'k1',
    });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.run.id).toBe(first.run.id);
    expect(again.run.input).toEqual({ a: 1 });
    const events = await runs.listEvents(workspaceId, first.run.id);
    expect(events.map((e) => [e.seq, e.type])).toEqual([[1, 'run.queued']]);
  });

  it('moves a run queued -> running -> succeeded with strictly increasing seq, once', async () => {
    const { run } = await runs.createQueued(workspaceId, {
      automationId,
      versionId,
      trigger: 'api',
      input: null,
    });
    const started = await execution.beginAttempt(workspaceId, run.id);
    expect(started).toMatchObject({ attempt: 1, versionNumber: 1, source: 'export default async () => 1' });
    const finished = await finish(run.id, 'succeeded');
    expect(finished?.event.seq).toBe(3);
    // A repeated finish or a late start cannot move the run again.
    expect(await finish(run.id, 'failed')).toBeNull();
    expect(await execution.beginAttempt(workspaceId, run.id)).toBeNull();
    const stored = await runs.get(workspaceId, run.id);
    expect(stored).toMatchObject({ status: 'succeeded', output: { ok: true }, attemptCount: 1 });
    const events = await runs.listEvents(workspaceId, run.id);
    expect(events.map((e) => e.type)).toEqual(['run.queued', 'run.running', 'run.succeeded']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('marks the attempt of a dead worker abandoned and starts a new one when the job comes back', async () => {
    const { run } = await runs.createQueued(workspaceId, {
      automationId,
      versionId,
      trigger: 'api',
      input: null,
    });
    await execution.beginAttempt(workspaceId, run.id);
    const second = (await execution.beginAttempt(workspaceId, run.id)) as StartedAttempt | null;
    expect(second?.attempt).toBe(2);
    expect(second?.events.map((e) => e.type)).toEqual(['attempt.abandoned', 'run.running']);
    const attempts = await runs.listAttempts(workspaceId, run.id);
    expect(attempts.map((a) => [a.number, a.status])).toEqual([
      [1, 'abandoned'],
      [2, 'running'],
    ]);
    const events = await runs.listEvents(workspaceId, run.id);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it('opens an inbox item in the same statement that pauses the run', async () => {
    const { run } = await runs.createQueued(workspaceId, {
      automationId,
      versionId,
      trigger: 'api',
      input: null,
    });
    await execution.beginAttempt(workspaceId, run.id);
    const paused = await execution.transition(workspaceId, run.id, {
      from: ['running'],
      to: 'action_needed',
      event: { type: 'run.action_needed', data: { kind: 'auth_required' } },
      inbox: {
        kind: 'auth_required',
        title: 'CRM_TOKEN rejected',
        reason: 'crm answered 401',
        evidence: { status: 401 },
        actions: ['retry', 'cancel'],
      },
    });
    expect(paused?.inboxItemId).toMatch(/^[0-9a-f-]{36}$/);
    const item = await db.inboxItem.findUniqueOrThrow({ where: { id: paused!.inboxItemId! } });
    expect(item).toMatchObject({
      kind: 'auth_required',
      actions: ['retry', 'cancel'],
      status: 'open',
      runId: run.id,
    });
    expect((await runs.get(workspaceId, run.id)).status).toBe('action_needed');
  });

  it('never shows a run to another workspace', async () => {
    const { run } = await runs.createQueued(workspaceId, {
      automationId,
      versionId,
      trigger: 'api',
      input: null,
    });
    await expect(runs.get(otherWorkspaceId, run.id)).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect((await runs.list(otherWorkspaceId, {}, { limit: 10 })).items).toHaveLength(0);
    expect(await execution.beginAttempt(otherWorkspaceId, run.id)).toBeNull();
  });

  it('pages through history with a cursor, without gaps or repeats', async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    const total = (await runs.list(workspaceId, {}, { limit: 200 })).items.length;
    do {
      const page = await runs.list(workspaceId, {}, { limit: 2, cursor });
      for (const item of page.items) {
        expect(seen.has(item.id)).toBe(false);
        seen.add(item.id);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.size).toBe(total);
    const succeeded = await runs.list(workspaceId, { status: 'succeeded' }, { limit: 50 });
    expect(succeeded.items.every((r) => r.status === 'succeeded')).toBe(true);
  });
});
