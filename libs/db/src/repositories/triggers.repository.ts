import type { TriggerConfig } from '@mendflow/common';
import type { TriggerKind } from '@mendflow/contracts';
import { Prisma } from '../generated/prisma/client';
import type { Db } from '../database';

/** A Prisma client or an open transaction: the sync runs inside the change it follows. */
type DbOrTx = Pick<Db, '$queryRaw'>;

export interface TriggerRecord {
  id: string;
  workspaceId: string;
  automationId: string;
  kind: TriggerKind;
  key: string;
  config: TriggerConfig;
  eventName: string | null;
  armedAt: Date;
  lastTickAt: Date | null;
  lastRunId: string | null;
  /** cron triggers: what the last tick did (null before the first tick). */
  lastTickOutcome: TickOutcome | null;
}

/**
 * What a schedule's tick did: created a run, or was skipped because the previous scheduled run still
 * went (overlap 'skip') or because it came too late (catchUp 'none').
 */
export const TICK_OUTCOMES = ['run_created', 'skipped_overlap', 'skipped_missed'] as const;
export type TickOutcome = (typeof TICK_OUTCOMES)[number];

/** What a tick handler may do while it holds its trigger (see TriggersRepository.withTick). */
export interface TickTransaction {
  /** The trigger as it is now, or null when it is gone (paused, deleted, redeployed without it). */
  trigger: TriggerRecord | null;
  /** Records the tick on the row; last_tick_at never moves backwards (a late redelivery). */
  record(tickAt: Date, outcome: TickOutcome, runId: string | null): Promise<void>;
}

const TRIGGER_COLUMNS = Prisma.sql`id, workspace_id AS "workspaceId", automation_id AS "automationId", kind, key,
  config, event_name AS "eventName", armed_at AS "armedAt", last_tick_at AS "lastTickAt", last_run_id AS "lastRunId",
  last_tick_outcome AS "lastTickOutcome"`;

/**
 * Re-derives an automation's trigger rows from its deployed version's manifest: rows exist only while
 * the automation is active and not deleted. One statement, meant to run in the transaction that changed
 * the deployed version or the status, so triggers and deploys never disagree. A trigger whose settings
 * did not change keeps its row (and so its armed time and last tick). Returns the rows now in force.
 */
export async function syncTriggers(db: DbOrTx, automationId: string): Promise<TriggerRecord[]> {
  return db.$queryRaw<TriggerRecord[]>`
    WITH desired AS (
      SELECT DISTINCT a.workspace_id, a.id AS automation_id, t.cfg, t.cfg->>'type' AS kind,
             (t.cfg->>'type') || ':' || md5(t.cfg::text) AS key
      FROM automations a
      JOIN automation_versions v ON v.id = a.deployed_version_id
      CROSS JOIN LATERAL jsonb_array_elements(COALESCE(v.manifest->'triggers', '[]'::jsonb)) AS t(cfg)
      WHERE a.id = ${automationId}::uuid AND a.status = 'active' AND a.deleted_at IS NULL
    ), removed AS (
      DELETE FROM automation_triggers tr
      WHERE tr.automation_id = ${automationId}::uuid AND NOT EXISTS (SELECT 1 FROM desired d WHERE d.key = tr.key)
    ), added AS (
      INSERT INTO automation_triggers (workspace_id, automation_id, kind, key, config, event_name)
      SELECT workspace_id, automation_id, kind, key, cfg, CASE WHEN kind = 'event' THEN cfg->>'name' END
      FROM desired
      ON CONFLICT (automation_id, key) DO NOTHING
      RETURNING ${TRIGGER_COLUMNS}
    )
    -- The statement's snapshot predates its own writes: the rows kept, plus the rows just added.
    SELECT ${TRIGGER_COLUMNS} FROM automation_triggers
    WHERE automation_id = ${automationId}::uuid AND key IN (SELECT key FROM desired)
    UNION ALL
    SELECT * FROM added`;
}

/** The triggers in force, as the schedulers, the webhook route and the event router read them. */
export class TriggersRepository {
  constructor(private readonly db: Db) {}

  async listForAutomation(workspaceId: string, automationId: string): Promise<TriggerRecord[]> {
    return this.db.$queryRaw<TriggerRecord[]>`
      SELECT ${TRIGGER_COLUMNS} FROM automation_triggers
      WHERE workspace_id = ${workspaceId}::uuid AND automation_id = ${automationId}::uuid
      ORDER BY kind, created_at`;
  }

  /** Every trigger of a kind across workspaces (the schedulers' reconciliation). */
  async listByKind(kind: TriggerKind): Promise<TriggerRecord[]> {
    return this.db.$queryRaw<TriggerRecord[]>`
      SELECT ${TRIGGER_COLUMNS} FROM automation_triggers WHERE kind = ${kind} ORDER BY created_at`;
  }

  /**
   * Runs one tick of a trigger holding the trigger's transaction-scoped advisory lock: ticks of one
   * trigger handled by two workers at once take turns, so an overlap check sees the run the other
   * tick created. An advisory lock, not the row (FOR UPDATE): `handle` creates the run through other
   * connections (RunEngine.queue), and a row lock held meanwhile would make a delete (which renames
   * the automation, a key update) and the run's insert wait on each other where PostgreSQL cannot see
   * the cycle. The row is read inside the lock, so a tick after a pause, delete or redeploy finds it
   * gone. A tick holds one pooled connection for its transaction and takes a second to create the run.
   */
  async withTick<T>(triggerId: string, handle: (tick: TickTransaction) => Promise<T>): Promise<T> {
    return this.db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`tick:${triggerId}`}, 0))`;
        const rows = await tx.$queryRaw<TriggerRecord[]>`
          SELECT ${TRIGGER_COLUMNS} FROM automation_triggers WHERE id = ${triggerId}::uuid`;
        return handle({
          trigger: rows[0] ?? null,
          record: async (tickAt, outcome, runId) => {
            await tx.$executeRaw`
              UPDATE automation_triggers
              SET last_tick_at = ${tickAt}, last_tick_outcome = ${outcome},
                  last_run_id = COALESCE(${runId}::uuid, last_run_id), updated_at = now()
              WHERE id = ${triggerId}::uuid AND (last_tick_at IS NULL OR last_tick_at <= ${tickAt})`;
          },
        });
      },
      // Creating the run includes enqueueing its job on Redis: allow for a slow moment.
      { timeout: 15_000, maxWait: 10_000 },
    );
  }

  async get(id: string): Promise<TriggerRecord | null> {
    const rows = await this.db.$queryRaw<TriggerRecord[]>`
      SELECT ${TRIGGER_COLUMNS} FROM automation_triggers WHERE id = ${id}::uuid`;
    return rows[0] ?? null;
  }

  /** The event triggers listening to `name` in a workspace. */
  async listForEvent(workspaceId: string, name: string): Promise<TriggerRecord[]> {
    return this.db.$queryRaw<TriggerRecord[]>`
      SELECT ${TRIGGER_COLUMNS} FROM automation_triggers
      WHERE workspace_id = ${workspaceId}::uuid AND kind = 'event' AND event_name = ${name}
      ORDER BY created_at`;
  }
}
