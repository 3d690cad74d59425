import { defaultManifest } from '@mendflow/common';
import { createDb, type Db, RepairsRepository } from '@mendflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  seedAutomation,
  type TestDatabase,
} from '../../../../libs/db/src/testing/test-database';
import type { WorkerConfig } from '../config/worker-config';
import { RepairBudget } from './repair-budget.service';

let database: TestDatabase;
let db: Db;
let repairs: RepairsRepository;
let workspaceId: string;
let automationId: string;
let versionId: string;

const config = (overrides: Partial<WorkerConfig> = {}) =>
  ({
    REPAIR_PROVIDER: 'openai',
    REPAIR_COOLDOWN_MS: 600_000,
    REPAIR_TOKEN_BUDGET_PER_DAY: 1000,
    ...overrides,
  }) as WorkerConfig;

const manifest = (repair: Partial<ReturnType<typeof defaultManifest>['repair']> = {}) => {
  const base = defaultManifest();
  return { ...base, repair: { ...base.repair, ...repair } };
};

async function addRepair(status: 'failed' | 'deployed', tokens = 0) {
  const { id: runId } = await db.run.create({
    data: { workspaceId, automationId, versionId, status: 'repairing', trigger: 'api' },
  });
  const repair = await repairs.create(workspaceId, {
    automationId,
    runId,
    attempt: 1,
    baseVersionId: versionId,
    provider: 'openai',
  });
  await repairs.update(workspaceId, repair.id, { status, promptTokens: tokens });
}

beforeAll(async () => {
  database = await createTestDatabase('repair_budget');
  db = createDb(database.url, { poolSize: 2 });
  repairs = new RepairsRepository(db);
  ({ workspaceId, automationId, versionId } = await seedAutomation(db, 'budget'));
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('RepairBudget (PostgreSQL)', () => {
  it('allows a repair with a provider, repair on, and every budget untouched', async () => {
    expect(await new RepairBudget(repairs, config()).check(workspaceId, automationId, manifest())).toEqual({
      allowed: true,
    });
  });

  it('refuses without a provider, or when the manifest turns repair off', async () => {
    expect(
      await new RepairBudget(repairs, config({ REPAIR_PROVIDER: 'none' })).check(
        workspaceId,
        automationId,
        manifest(),
      ),
    ).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/no repair provider/),
    });
    expect(
      await new RepairBudget(repairs, config()).check(
        workspaceId,
        automationId,
        manifest({ enabled: false }),
      ),
    ).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/turned off/),
    });
  });

  it('refuses once maxPerDay repairs were requested in the last 24 hours', async () => {
    await addRepair('deployed');
    const budget = new RepairBudget(repairs, config());
    expect(await budget.check(workspaceId, automationId, manifest({ maxPerDay: 1 }))).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/budget of 1 per day/),
    });
    expect(await budget.check(workspaceId, automationId, manifest({ maxPerDay: 5 }))).toEqual({
      allowed: true,
    });
  });

  it('waits out the cooldown after a failed repair', async () => {
    await addRepair('failed');
    const reason = await new RepairBudget(repairs, config()).check(
      workspaceId,
      automationId,
      manifest({ maxPerDay: 5 }),
    );
    expect(reason).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/failed recently.*10 min/),
    });
    expect(
      await new RepairBudget(repairs, config({ REPAIR_COOLDOWN_MS: 0 })).check(
        workspaceId,
        automationId,
        manifest({ maxPerDay: 5 }),
      ),
    ).toEqual({
      allowed: true,
    });
  });

  it("refuses once the workspace's tokens for the day are spent", async () => {
    await addRepair('deployed', 5000);
    const budget = new RepairBudget(
      repairs,
      config({ REPAIR_COOLDOWN_MS: 0, REPAIR_TOKEN_BUDGET_PER_DAY: 4000 }),
    );
    expect(await budget.check(workspaceId, automationId, manifest({ maxPerDay: 10 }))).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/token budget \(4000 per day\)/),
    });
  });

  it('prices a call from the configured per-million-token prices, or not at all', () => {
    const priced = new RepairBudget(
      repairs,
      config({ REPAIR_PRICE_INPUT_PER_MTOK: 2, REPAIR_PRICE_OUTPUT_PER_MTOK: 8 }),
    );
    expect(priced.costOf({ promptTokens: 1_000_000, completionTokens: 500_000 })).toBeCloseTo(6);
    expect(new RepairBudget(repairs, config()).costOf({ promptTokens: 10, completionTokens: 10 })).toBeNull();
  });
});
