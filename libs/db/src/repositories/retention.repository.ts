import { FINISHED_REPAIR_STATUSES, type RetentionSettings, TERMINAL_RUN_STATUSES } from '@mendflow/contracts';
import type { Db } from '../database';
import { Prisma } from '../generated/prisma/client';

const DAY_MS = 86_400_000;

/** What one batch of runs took with it (the cascaded rows are counted by the statement that deletes). */
export interface RunBatchResult {
  runs: number;
  attempts: number;
  events: number;
  steps: number;
  inboxItems: number;
  repairs: number;
  notificationDeliveries: number;
  emittedEvents: number;
}

/** What is due now under a workspace's settings (the dashboard shows it before a pass deletes it). */
export interface RetentionDue {
  runs: number;
  auditEntries: number;
}

export interface RetentionWorkspace {
  id: string;
  /** Read as stored: the caller checks them against the bounds before deleting by them. */
  settings: RetentionSettings;
}

/** Where each setting cuts, from one `now` (so every batch of a pass agrees). */
export function retentionCutoffs(settings: RetentionSettings, now: Date): { runs: Date; audit: Date } {
  return {
    runs: new Date(now.getTime() - settings.runRetentionDays * DAY_MS),
    audit: new Date(now.getTime() - settings.auditRetentionDays * DAY_MS),
  };
}

const SETTINGS_COLUMNS = Prisma.sql`run_retention_days AS "runRetentionDays",
  keep_runs_per_automation AS "keepRunsPerAutomation", audit_retention_days AS "auditRetentionDays"`;

/**
 * Retention: the workspace's settings and the batched deletes of the scheduled pass
 * (docs/operations.md "Retention" has the table of what goes with what).
 *
 * Every delete is one statement — its own short transaction — over at most `limit` rows picked with
 * `FOR UPDATE SKIP LOCKED`, so a pass never waits on (or holds up) a row someone else is changing and
 * never holds many locks for long. The conditions are evaluated again on the locked rows, so a run retried
 * (moved back to queued) or given an open inbox item meanwhile is not taken.
 */
export class RetentionRepository {
  constructor(private readonly db: Db) {}

  async getSettings(workspaceId: string): Promise<RetentionSettings | null> {
    const rows = await this.db.$queryRaw<RetentionSettings[]>`
      SELECT ${SETTINGS_COLUMNS} FROM workspaces WHERE id = ${workspaceId}::uuid`;
    return rows[0] ?? null;
  }

  /** Stores the settings; returns what they were (null when the workspace is gone). */
  async updateSettings(
    workspaceId: string,
    settings: RetentionSettings,
  ): Promise<{ before: RetentionSettings } | null> {
    const rows = await this.db.$queryRaw<RetentionSettings[]>`
      UPDATE workspaces w SET run_retention_days = ${settings.runRetentionDays},
             keep_runs_per_automation = ${settings.keepRunsPerAutomation},
             audit_retention_days = ${settings.auditRetentionDays}
      FROM (SELECT id, ${SETTINGS_COLUMNS} FROM workspaces WHERE id = ${workspaceId}::uuid FOR UPDATE) old
      WHERE w.id = old.id
      RETURNING old."runRetentionDays", old."keepRunsPerAutomation", old."auditRetentionDays"`;
    const before = rows[0];
    return before ? { before } : null;
  }

  /**
   * Workspaces a pass that started at `passStart` has not been through yet, the longest-waiting first
   * (never checked, then checked longest ago): one a pass left half-done comes first in the next. The
   * one method here not scoped to a workspace, like bootstrap: it is how the pass finds them.
   */
  async listUnchecked(passStart: Date, limit: number): Promise<RetentionWorkspace[]> {
    const rows = await this.db.$queryRaw<(RetentionSettings & { id: string })[]>`
      SELECT id, ${SETTINGS_COLUMNS} FROM workspaces
      WHERE retention_checked_at IS NULL OR retention_checked_at < ${passStart}
      ORDER BY retention_checked_at ASC NULLS FIRST, id LIMIT ${limit}`;
    return rows.map(({ id, ...settings }) => ({ id, settings }));
  }

  /** The pass went through all of the workspace (or skipped it) at `at`. */
  async markChecked(workspaceId: string, at: Date): Promise<void> {
    await this.db.$executeRaw`
      UPDATE workspaces SET retention_checked_at = ${at} WHERE id = ${workspaceId}::uuid`;
  }

  /**
   * Deletes up to `limit` runs that retention lets go, with everything that is theirs: attempts (logs,
   * recordings), events, steps and slots by cascade; their closed inbox items, finished repairs (a
   * deployed one stays: it explains an automation version), notification deliveries and the events they
   * emitted, in the same statement. A run goes when it rests for good (succeeded, failed, cancelled),
   * finished before the cutoff, is not among the newest `keepRunsPerAutomation` runs of its automation,
   * and has no open inbox item and no pending repair.
   */
  async deleteRunBatch(
    workspaceId: string,
    settings: RetentionSettings,
    now: Date,
    limit: number,
  ): Promise<RunBatchResult> {
    const rows = await this.db.$queryRaw<RunBatchResult[]>`
      WITH victims AS (${this.dueRuns(workspaceId, settings, now, Prisma.sql`LIMIT ${limit} FOR UPDATE OF r SKIP LOCKED`)}),
      attempts AS (SELECT count(*)::int AS n FROM run_attempts WHERE run_id IN (SELECT id FROM victims)),
      events AS (SELECT count(*)::int AS n FROM run_events WHERE run_id IN (SELECT id FROM victims)),
      steps AS (SELECT count(*)::int AS n FROM run_steps WHERE run_id IN (SELECT id FROM victims)),
      inbox AS (
        DELETE FROM inbox_items WHERE workspace_id = ${workspaceId}::uuid AND run_id IN (SELECT id FROM victims)
        RETURNING 1),
      repairs AS (
        DELETE FROM repairs WHERE workspace_id = ${workspaceId}::uuid AND run_id IN (SELECT id FROM victims)
          AND status <> 'deployed'
        RETURNING 1),
      deliveries AS (
        DELETE FROM notification_deliveries
        WHERE workspace_id = ${workspaceId}::uuid AND run_id IN (SELECT id FROM victims)
        RETURNING 1),
      emitted AS (
        DELETE FROM emitted_events
        WHERE workspace_id = ${workspaceId}::uuid AND source_run_id IN (SELECT id FROM victims)
        RETURNING 1),
      gone AS (DELETE FROM runs WHERE id IN (SELECT id FROM victims) RETURNING 1)
      SELECT (SELECT count(*)::int FROM gone) AS runs, (SELECT n FROM attempts) AS attempts,
             (SELECT n FROM events) AS events, (SELECT n FROM steps) AS steps,
             (SELECT count(*)::int FROM inbox) AS "inboxItems", (SELECT count(*)::int FROM repairs) AS repairs,
             (SELECT count(*)::int FROM deliveries) AS "notificationDeliveries",
             (SELECT count(*)::int FROM emitted) AS "emittedEvents"`;
    return rows[0]!;
  }

  /**
   * Events posted to POST /events (no run emitted them) and routed, created before the runs' cutoff.
   * An event a run emitted is that run's memo of ctx.emit and goes with the run (deleteRunBatch).
   */
  async deletePostedEventBatch(workspaceId: string, before: Date, limit: number): Promise<number> {
    return this.db.$executeRaw`
      DELETE FROM emitted_events WHERE id IN (
        SELECT id FROM emitted_events
        WHERE workspace_id = ${workspaceId}::uuid AND source_run_id IS NULL AND routed_at IS NOT NULL
          AND created_at < ${before}
        LIMIT ${limit} FOR UPDATE SKIP LOCKED)`;
  }

  /** Fulfilled secret requests (they never hold a value) fulfilled before the runs' cutoff. */
  async deleteSecretRequestBatch(workspaceId: string, before: Date, limit: number): Promise<number> {
    return this.db.$executeRaw`
      DELETE FROM secret_requests WHERE id IN (
        SELECT id FROM secret_requests
        WHERE workspace_id = ${workspaceId}::uuid AND status = 'fulfilled' AND fulfilled_at < ${before}
        LIMIT ${limit} FOR UPDATE SKIP LOCKED)`;
  }

  /** Audit entries recorded before the audit cutoff. */
  async deleteAuditBatch(workspaceId: string, before: Date, limit: number): Promise<number> {
    return this.db.$executeRaw`
      DELETE FROM audit_log WHERE id IN (
        SELECT id FROM audit_log WHERE workspace_id = ${workspaceId}::uuid AND created_at < ${before}
        ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`;
  }

  /** How many runs and audit entries a pass would delete now (the same conditions, counted). */
  async countDue(workspaceId: string, settings: RetentionSettings, now: Date): Promise<RetentionDue> {
    const { audit } = retentionCutoffs(settings, now);
    const rows = await this.db.$queryRaw<RetentionDue[]>`
      SELECT (SELECT count(*)::int FROM (${this.dueRuns(workspaceId, settings, now, Prisma.empty)}) due) AS runs,
             (SELECT count(*)::int FROM audit_log
              WHERE workspace_id = ${workspaceId}::uuid AND created_at < ${audit}) AS "auditEntries"`;
    return rows[0]!;
  }

  /**
   * The runs retention lets go, oldest finished first. The newest `keep` runs of each automation are
   * found once per automation (its keep-th newest run is the floor; only runs below it may go), by the
   * (automation_id, created_at) index, rather than once per candidate.
   */
  private dueRuns(workspaceId: string, settings: RetentionSettings, now: Date, tail: Prisma.Sql): Prisma.Sql {
    const { runs: cutoff } = retentionCutoffs(settings, now);
    const keep = settings.keepRunsPerAutomation;
    const floors =
      keep > 0
        ? Prisma.sql`JOIN (
            SELECT a.id AS automation_id, f.created_at, f.id
            FROM automations a
            CROSS JOIN LATERAL (
              SELECT k.created_at, k.id FROM runs k WHERE k.automation_id = a.id
              ORDER BY k.created_at DESC, k.id DESC OFFSET ${keep - 1} LIMIT 1) f
            WHERE a.workspace_id = ${workspaceId}::uuid
          ) floor ON floor.automation_id = r.automation_id AND (r.created_at, r.id) < (floor.created_at, floor.id)`
        : Prisma.empty;
    return Prisma.sql`
      SELECT r.id FROM runs r ${floors}
      WHERE r.workspace_id = ${workspaceId}::uuid
        AND r.status IN (${Prisma.join([...TERMINAL_RUN_STATUSES])})
        AND r.finished_at < ${cutoff}
        AND NOT EXISTS (SELECT 1 FROM inbox_items i WHERE i.run_id = r.id AND i.status = 'open')
        AND NOT EXISTS (SELECT 1 FROM repairs p WHERE p.run_id = r.id
                        AND p.status NOT IN (${Prisma.join([...FINISHED_REPAIR_STATUSES])}))
      ORDER BY r.finished_at
      ${tail}`;
  }
}
