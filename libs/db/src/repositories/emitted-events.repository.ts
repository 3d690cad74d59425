import type { Db } from '../database';
import { Prisma } from '../generated/prisma/client';
import { jsonParam } from '../json';

/** A subscriber routing created no run for, and why (its inputSchema refused the payload). */
export interface SkippedSubscriber {
  automationId: string;
  code: string;
  reason: string;
}

export interface EmittedEventRecord {
  id: string;
  workspaceId: string;
  name: string;
  payload: unknown;
  sourceRunId: string | null;
  sourceAutomationId: string | null;
  /** ctx.emit's memo key within its run ("<ordinal>:<name>"); null for events from outside. */
  sourceKey: string | null;
  chain: string[];
  depth: number;
  skipped: SkippedSubscriber[];
  routedAt: Date | null;
  createdAt: Date;
}

export interface NewEmittedEvent {
  name: string;
  payload: unknown;
  source?: { runId: string; automationId: string; key: string };
  chain: string[];
  depth: number;
}

const COLUMNS = Prisma.sql`id, workspace_id AS "workspaceId", name, payload, source_run_id AS "sourceRunId",
  source_automation_id AS "sourceAutomationId", source_key AS "sourceKey", COALESCE(chain, '{}') AS chain, depth,
  skipped, routed_at AS "routedAt", created_at AS "createdAt"`;

/** The key every run an event starts is created with, so routing an event twice never doubles a run. */
export function eventRunIdempotencyKey(eventId: string): string {
  return `event:${eventId}`;
}

/**
 * Emitted events (ctx.emit and POST /api/v1/events) and what routing made of them. An emit from a run
 * is memoized by its own row: (source_run_id, source_key) is unique, so a retried or resumed attempt
 * finds the event its earlier attempt emitted instead of emitting again.
 */
export class EmittedEventsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Records an event; for an emit from a run whose key is already stored, returns that event instead
   * (`created: false`: a concurrent or earlier attempt emitted it).
   */
  async insert(
    workspaceId: string,
    event: NewEmittedEvent,
  ): Promise<{ event: EmittedEventRecord; created: boolean }> {
    const rows = await this.db.$queryRaw<EmittedEventRecord[]>`
      INSERT INTO emitted_events (workspace_id, name, payload, source_run_id, source_automation_id, source_key, chain, depth)
      VALUES (${workspaceId}::uuid, ${event.name}, ${jsonParam(event.payload ?? null)}::jsonb,
              ${event.source?.runId ?? null}::uuid, ${event.source?.automationId ?? null}::uuid,
              ${event.source?.key ?? null}, ${event.chain}::uuid[], ${event.depth}::int)
      ON CONFLICT (source_run_id, source_key) DO NOTHING
      RETURNING ${COLUMNS}`;
    const created = rows[0];
    if (created) return { event: created, created: true };
    if (!event.source) throw new Error('an event from outside cannot conflict with an earlier one');
    const existing = await this.findBySource(workspaceId, event.source.runId, event.source.key);
    if (!existing) throw new Error('an emit conflicted with an event that cannot be found');
    return { event: existing, created: false };
  }

  /** The event a run's emit with this key stored, if any. */
  async findBySource(workspaceId: string, runId: string, key: string): Promise<EmittedEventRecord | null> {
    const rows = await this.db.$queryRaw<EmittedEventRecord[]>`
      SELECT ${COLUMNS} FROM emitted_events
      WHERE workspace_id = ${workspaceId}::uuid AND source_run_id = ${runId}::uuid AND source_key = ${key}`;
    return rows[0] ?? null;
  }

  async get(workspaceId: string, id: string): Promise<EmittedEventRecord | null> {
    const rows = await this.db.$queryRaw<EmittedEventRecord[]>`
      SELECT ${COLUMNS} FROM emitted_events WHERE workspace_id = ${workspaceId}::uuid AND id = ${id}::uuid`;
    return rows[0] ?? null;
  }

  /** Routing is done: the runs exist (their idempotency key names the event), the skips are kept. */
  async markRouted(workspaceId: string, id: string, skipped: SkippedSubscriber[]): Promise<void> {
    await this.db.$executeRaw`
      UPDATE emitted_events SET routed_at = now(), skipped = ${JSON.stringify(skipped)}::jsonb
      WHERE workspace_id = ${workspaceId}::uuid AND id = ${id}::uuid`;
  }

  /** Events recorded but never routed (a crash between the insert and the routing), oldest first. */
  async listUnrouted(
    olderThan: Date,
    limit: number,
  ): Promise<Pick<EmittedEventRecord, 'id' | 'workspaceId'>[]> {
    return this.db.$queryRaw`
      SELECT id, workspace_id AS "workspaceId" FROM emitted_events
      WHERE routed_at IS NULL AND created_at < ${olderThan}
      ORDER BY created_at LIMIT ${limit}`;
  }

  /** The runs an event started, in the order they were created. */
  async runsOf(workspaceId: string, eventId: string): Promise<{ id: string; automationId: string }[]> {
    return this.db.$queryRaw`
      SELECT id, automation_id AS "automationId" FROM runs
      WHERE workspace_id = ${workspaceId}::uuid AND idempotency_key = ${eventRunIdempotencyKey(eventId)}
      ORDER BY created_at, id`;
  }

  /** Automation names by id, for messages that name an event chain. */
  async automationNames(workspaceId: string, ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.automation.findMany({
      where: { workspaceId, id: { in: [...ids] } },
      select: { id: true, name: true },
    });
    return new Map(rows.map((row) => [row.id, row.name]));
  }
}
