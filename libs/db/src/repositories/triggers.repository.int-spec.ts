import { manifestSchema } from '@mendflow/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../database';
import {
  createTestDatabase,
  seedAutomation,
  type SeededAutomation,
  type TestDatabase,
} from '../testing/test-database';
import { AutomationsRepository } from './automations.repository';
import { TriggersRepository } from './triggers.repository';

// Triggers follow the deployed version and the automation's status, in the transaction that changes
// them: deploy, rollback, pause, resume and delete, against the real PostgreSQL.

let database: TestDatabase;
let db: Db;
let automations: AutomationsRepository;
let triggers: TriggersRepository;
let seeded: SeededAutomation;

const deploy = (triggerList: unknown[]) =>
  automations.addVersion(seeded.workspaceId, seeded.automationId, {
    source: 'export default async () => 1',
    language: 'javascript',
    manifest: manifestSchema.parse({ triggers: triggerList }),
    createdByKind: 'user',
    createdBy: seeded.userId,
  });
const current = () => triggers.listForAutomation(seeded.workspaceId, seeded.automationId);

beforeAll(async () => {
  database = await createTestDatabase('triggers');
  db = createDb(database.url, { poolSize: 2 });
  automations = new AutomationsRepository(db);
  triggers = new TriggersRepository(db);
  seeded = await seedAutomation(db, 'triggers');
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('trigger rows follow the deployed automation', () => {
  it('are written by a deploy and kept (same id, same armed time) when a redeploy leaves them unchanged', async () => {
    expect(await current()).toEqual([]);
    await deploy([
      { type: 'cron', cron: '*/5 * * * *' },
      { type: 'event', name: 'order.created' },
    ]);
    const first = await current();
    expect(first.map((t) => t.kind).sort()).toEqual(['cron', 'event']);
    expect(first.find((t) => t.kind === 'event')?.eventName).toBe('order.created');
    expect(first.find((t) => t.kind === 'cron')?.config).toMatchObject({
      cron: '*/5 * * * *',
      timezone: 'UTC',
    });

    await deploy([{ type: 'cron', cron: '*/5 * * * *' }, { type: 'webhook' }]);
    const second = await current();
    expect(second.map((t) => t.kind).sort()).toEqual(['cron', 'webhook']);
    const cronBefore = first.find((t) => t.kind === 'cron')!;
    expect(second.find((t) => t.kind === 'cron')).toMatchObject({
      id: cronBefore.id,
      armedAt: cronBefore.armedAt,
    });
    expect(await triggers.listForEvent(seeded.workspaceId, 'order.created')).toEqual([]);
  });

  it('are gone while paused or deleted, and back on resume and rollback', async () => {
    await automations.update(seeded.workspaceId, seeded.automationId, { status: 'paused' });
    expect(await current()).toEqual([]);
    await automations.update(seeded.workspaceId, seeded.automationId, { status: 'active' });
    expect((await current()).map((t) => t.kind).sort()).toEqual(['cron', 'webhook']);

    const rolledBack = await automations.deployVersion(seeded.workspaceId, seeded.automationId, 2);
    expect(rolledBack.number).toBe(2);
    expect((await current()).map((t) => t.kind).sort()).toEqual(['cron', 'event']);
    expect(await triggers.listForEvent(seeded.workspaceId, 'order.created')).toHaveLength(1);

    await automations.remove(seeded.workspaceId, seeded.automationId);
    expect(await current()).toEqual([]);
  });
});
