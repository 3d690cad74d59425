import type { Db } from '../database';

export interface AutomationStats {
  automationId: string;
  lastRun: { id: string; status: string; createdAt: Date } | null;
  /** Share of succeeded among the finished runs of the last 7 days; null without any. */
  successRate: number | null;
  runsLast7Days: number;
  openInboxItems: number;
}

export interface HourlyOutcome {
  hour: Date;
  succeeded: number;
  failed: number;
  actionNeeded: number;
  other: number;
}

/** Read-only aggregates for the dashboard, one query each. */
export class StatsRepository {
  constructor(private readonly db: Db) {}

  async forAutomations(workspaceId: string, automationIds: string[]): Promise<Map<string, AutomationStats>> {
    if (automationIds.length === 0) return new Map();
    const rows = await this.db.$queryRaw<
      {
        automationId: string;
        lastRunId: string | null;
        lastRunStatus: string | null;
        lastRunAt: Date | null;
        finished: number;
        succeeded: number;
        total: number;
        openInbox: number;
      }[]
    >`
      SELECT a.id AS "automationId", last.id AS "lastRunId", last.status AS "lastRunStatus", last.created_at AS "lastRunAt",
             COALESCE(week.finished, 0)::int AS finished, COALESCE(week.succeeded, 0)::int AS succeeded,
             COALESCE(week.total, 0)::int AS total, COALESCE(inbox.open, 0)::int AS "openInbox"
      FROM automations a
      LEFT JOIN LATERAL (
        SELECT id, status, created_at FROM runs WHERE automation_id = a.id ORDER BY created_at DESC LIMIT 1
      ) last ON true
      LEFT JOIN LATERAL (
        SELECT count(*) AS total,
               count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled', 'action_needed')) AS finished,
               count(*) FILTER (WHERE status = 'succeeded') AS succeeded
        FROM runs WHERE automation_id = a.id AND created_at > now() - interval '7 days'
      ) week ON true
      LEFT JOIN LATERAL (
        SELECT count(*) AS open FROM inbox_items
        WHERE workspace_id = a.workspace_id AND automation_id = a.id AND status = 'open'
      ) inbox ON true
      WHERE a.workspace_id = ${workspaceId}::uuid AND a.id = ANY(${automationIds}::uuid[])`;
    return new Map(
      rows.map((row) => [
        row.automationId,
        {
          automationId: row.automationId,
          lastRun: row.lastRunId
            ? { id: row.lastRunId, status: row.lastRunStatus!, createdAt: row.lastRunAt! }
            : null,
          successRate: row.finished > 0 ? row.succeeded / row.finished : null,
          runsLast7Days: row.total,
          openInboxItems: row.openInbox,
        },
      ]),
    );
  }

  /**
   * Runs created per hour over the last `hours`, by outcome, oldest first, empty hours included. The runs
   * are found by a range on (workspace_id, created_at), so the cost follows the runs of the window, not
   * the workspace's whole history (joining on date_trunc(created_at) read every run of the workspace).
   */
  async runsPerHour(workspaceId: string, hours: number): Promise<HourlyOutcome[]> {
    return this.db.$queryRaw<HourlyOutcome[]>`
      WITH hours AS (
        SELECT generate_series(date_trunc('hour', now()) - make_interval(hours => ${hours - 1}),
                               date_trunc('hour', now()), interval '1 hour') AS hour
      ), counted AS (
        SELECT date_trunc('hour', r.created_at) AS hour,
               count(*) FILTER (WHERE r.status = 'succeeded') AS succeeded,
               count(*) FILTER (WHERE r.status IN ('failed', 'cancelled')) AS failed,
               count(*) FILTER (WHERE r.status = 'action_needed') AS "actionNeeded",
               count(*) FILTER (WHERE r.status NOT IN ('succeeded', 'failed', 'cancelled', 'action_needed')) AS other
        FROM runs r
        WHERE r.workspace_id = ${workspaceId}::uuid
          AND r.created_at >= date_trunc('hour', now()) - make_interval(hours => ${hours - 1})
          AND r.created_at < date_trunc('hour', now()) + interval '1 hour'
          -- Exploration runs (MCP execute, docs/mcp.md) are an agent's trials, not the workspace's work.
          AND r.trigger <> 'exploration'
        GROUP BY 1
      )
      SELECT h.hour, COALESCE(c.succeeded, 0)::int AS succeeded, COALESCE(c.failed, 0)::int AS failed,
             COALESCE(c."actionNeeded", 0)::int AS "actionNeeded", COALESCE(c.other, 0)::int AS other
      FROM hours h LEFT JOIN counted c ON c.hour = h.hour
      ORDER BY h.hour`;
  }

  /**
   * Automations with open inbox items or failures in the last 24 hours, worst first. Both counts are
   * one grouped pass over the workspace (its open items by a partial index, its failed and action_needed
   * runs of the day by (workspace_id, status, created_at)), not a count per automation.
   */
  async needingAttention(workspaceId: string, limit: number) {
    return this.db.$queryRaw<
      { automationId: string; name: string; openInboxItems: number; failedLast24h: number }[]
    >`
      WITH open AS (
        SELECT automation_id, count(*)::int AS n FROM inbox_items
        WHERE workspace_id = ${workspaceId}::uuid AND status = 'open' GROUP BY automation_id
      ), failed AS (
        SELECT automation_id, count(*)::int AS n FROM runs
        WHERE workspace_id = ${workspaceId}::uuid AND status IN ('failed', 'action_needed')
          AND created_at > now() - interval '24 hours'
        GROUP BY automation_id
      )
      SELECT a.id AS "automationId", a.name, COALESCE(o.n, 0) AS "openInboxItems", COALESCE(f.n, 0) AS "failedLast24h"
      FROM automations a
      LEFT JOIN open o ON o.automation_id = a.id
      LEFT JOIN failed f ON f.automation_id = a.id
      WHERE a.workspace_id = ${workspaceId}::uuid AND a.deleted_at IS NULL AND a.kind = 'standard'
        AND (o.n > 0 OR f.n > 0)
      ORDER BY "openInboxItems" DESC, "failedLast24h" DESC, a.name
      LIMIT ${limit}`;
  }
}
