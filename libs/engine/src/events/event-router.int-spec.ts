/**
 * EventRouter against the real PostgreSQL and Redis: routing creates one run per subscriber with the
 * event's context, routing again creates none, a paused automation gets none, an emit from a run is
 * memoized by its key, and a cycle is refused before anything is stored.
 */
import { defaultManifest } from '@mendflow/common';
import { AutomationsRepository, createDb, type Db } from '@mendflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, seedAutomation, type TestDatabase } from '../../../db/src/testing/test-database';
import { createTestEngine, createTestEventRouter, type TestEngine } from '../testing/test-engine';
import type { EventRouter } from './event-router';
import { testRedis } from '../../../queue/src/testing/test-redis';

/** Redis db 5 is this suite's (and the events e2e's), under a prefix of its own. */
const { redisUrl, prefix } = testRedis(5, 'events');

let database: TestDatabase;
let db: Db;
let t: TestEngine;
let router: EventRouter;
let automations: AutomationsRepository;
let workspaceId: string;
let userId: string;

async function subscriber(name: string, event: string) {
  const automation = await automations.create(workspaceId, {
    name,
    source: 'export default async (input) => input',
    language: 'javascript',
    manifest: { ...defaultManifest(), triggers: [{ type: 'event', name: event }] },
    createdByKind: 'user',
    createdBy: userId,
  });
  return automation.id;
}

beforeAll(async () => {
  database = await createTestDatabase('event_router');
  db = createDb(database.url);
  t = createTestEngine(db, { redisUrl, prefix });
  router = createTestEventRouter(db, t.engine);
  automations = new AutomationsRepository(db);
  ({ workspaceId, userId } = await seedAutomation(db, 'events'));
});

afterAll(async () => {
  await t?.close();
  await db?.$disconnect();
  await database?.drop();
});

describe('EventRouter', () => {
  it('routes one run per subscriber, and routing again creates none', async () => {
    const one = await subscriber('one', 'invoice.paid');
    const two = await subscriber('two', 'invoice.paid');
    const paused = await subscriber('paused', 'invoice.paid');
    await automations.update(workspaceId, paused, { status: 'paused' });
    await subscriber('other', 'invoice.sent');

    const outcome = await router.emit(workspaceId, { name: 'invoice.paid', payload: { id: 'i-1' } });
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.runs.map((r) => r.automationId).sort()).toEqual([one, two].sort());
    expect(outcome.event).toMatchObject({ chain: [], depth: 0, sourceRunId: null });
    const runs = await db.run.findMany({ where: { idempotencyKey: `event:${outcome.event.id}` } });
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run).toMatchObject({ trigger: 'event', input: { id: 'i-1' } });
      expect(run.triggerContext).toEqual({
        kind: 'event',
        eventId: outcome.event.id,
        name: 'invoice.paid',
        sourceRunId: null,
        chain: [],
        depth: 0,
      });
    }
    const routedAt = (await db.emittedEvent.findUniqueOrThrow({ where: { id: outcome.event.id } })).routedAt;
    expect(routedAt).not.toBeNull();

    const again = await router.route(workspaceId, outcome.event);
    expect(again.runs.map((r) => r.id).sort()).toEqual(runs.map((r) => r.id).sort());
    expect(await db.run.count({ where: { idempotencyKey: `event:${outcome.event.id}` } })).toBe(2);
  });

  it('memoizes an emit from a run by its key, and refuses a cycle without storing anything', async () => {
    const listener = await subscriber('listener', 'loop.tick');
    const first = await router.emit(workspaceId, { name: 'loop.tick', payload: { n: 1 } });
    if (!first.ok) throw new Error(first.message);
    const [run] = first.runs;
    const source = {
      runId: run!.id,
      automationId: listener,
      triggerContext: {
        kind: 'event' as const,
        eventId: first.event.id,
        name: 'loop.tick',
        sourceRunId: null,
        chain: [],
        depth: 0,
      },
    };
    const before = await db.emittedEvent.count();
    const refused = await router.emit(workspaceId, {
      name: 'loop.tick',
      payload: {},
      source: { ...source, key: '1:loop.tick' },
    });
    expect(refused).toMatchObject({ ok: false, code: 'EVENT_CYCLE', automations: [listener] });
    expect(refused.ok === false && refused.message).toContain('"listener" again');
    expect(await db.emittedEvent.count()).toBe(before);

    const emitted = await router.emit(workspaceId, {
      name: 'nobody.listens',
      payload: 1,
      source: { ...source, key: '2:nobody.listens' },
    });
    const repeated = await router.emit(workspaceId, {
      name: 'nobody.listens',
      payload: 2,
      source: { ...source, key: '2:nobody.listens' },
    });
    expect(emitted).toMatchObject({ ok: true, memoized: false, event: { chain: [listener], depth: 1 } });
    expect(repeated).toMatchObject({ ok: true, memoized: true });
    expect(repeated.ok && emitted.ok && repeated.event.id).toBe(emitted.ok && emitted.event.id);
    expect(await db.emittedEvent.count()).toBe(before + 1);
  });

  it('routes an event a crash left unrouted', async () => {
    const late = await subscriber('late', 'crash.left');
    const row = await db.emittedEvent.create({
      data: {
        workspaceId,
        name: 'crash.left',
        payload: { x: 1 },
        chain: [],
        createdAt: new Date(Date.now() - 60_000),
      },
    });
    expect(await router.routePending(new Date(Date.now() - 30_000))).toBeGreaterThanOrEqual(1);
    const runs = await db.run.findMany({ where: { idempotencyKey: `event:${row.id}` } });
    expect(runs.map((r) => r.automationId)).toEqual([late]);
  });
});
