import type { Db } from '../database';
import { Prisma } from '../generated/prisma/client';

/**
 * Concurrency limits. A run of an automation whose manifest has `concurrency` copies the limit and its
 * line (the key's value, '' without a key) at creation (`runs.concurrency_limit`, `concurrency_key`).
 * A running limited run holds one row of `run_slots`; the unique (automation, key, slot number) with
 * slot numbers in 1..limit is what caps the line, whatever races between workers.
 *
 * The line: the runs of one automation and key that wait to start — queued, or a retry whose time has
 * come — in priority order (higher first), then creation order (FIFO), then id.
 */

/** One line of a limited automation; `key` is '' when the manifest has no key. */
export interface SlotLine {
  workspaceId: string;
  automationId: string;
  key: string;
}

/** A run next in line for a slot: give it a job for this attempt, at this priority. */
export interface NextInLine {
  id: string;
  workspaceId: string;
  automationId: string;
  nextAttempt: number;
  priority: number;
}

/** SQL: run `q` is waiting in a line (queued, or its retry is due). */
export const waitingInLine = (q: string) =>
  Prisma.raw(
    `(${q}.status = 'queued' OR (${q}.status = 'retry_scheduled' AND ${q}.next_attempt_at <= now()))`,
  );

/**
 * SQL: run `q` is in the same line as `me` and starts before it. (`concurrency_limit IS NOT NULL` is
 * implied by a shared key; it is said so the planner can use the lines' partial index, which holds
 * only limited runs.)
 */
export const aheadOf = (q: string, me: string) =>
  Prisma.raw(
    `${q}.concurrency_limit IS NOT NULL
     AND ${q}.automation_id = ${me}.automation_id AND ${q}.concurrency_key = ${me}.concurrency_key
     AND (${q}.priority > ${me}.priority
       OR (${q}.priority = ${me}.priority AND (${q}.created_at, ${q}.id) < (${me}.created_at, ${me}.id)))`,
  );

/** What a limited run's line looks like from it; the view of a run waiting for a slot. */
export interface SlotWait {
  /** Runs of the same line that start before this one. */
  ahead: number;
  limit: number;
  /** The concurrency key's value, null when the manifest has no key. */
  key: string | null;
}

export const displayKey = (key: string) => (key === '' ? null : key);

/** The line a run or transition belongs to, or null for a run without a concurrency limit. */
export function slotLineOf(run: {
  workspaceId: string;
  automationId: string;
  concurrencyLimit: number | null;
  concurrencyKey: string | null;
}): SlotLine | null {
  if (run.concurrencyLimit === null || run.concurrencyKey === null) return null;
  return { workspaceId: run.workspaceId, automationId: run.automationId, key: run.concurrencyKey };
}

export class RunSlotsRepository {
  constructor(private readonly db: Db) {}

  /**
   * The runs at the head of a line, as many as it has free slots (the head's limit less the slots
   * held): the ones to give a job when a slot frees up. Runs further back need none: they start when
   * these leave, which refills the line again.
   */
  async nextInLine(line: SlotLine): Promise<NextInLine[]> {
    const { workspaceId, automationId, key } = line;
    return this.db.$queryRaw<NextInLine[]>`
      WITH waiting AS (
        SELECT q.id, q.workspace_id, q.automation_id, q.attempt_count, q.priority, q.created_at, q.concurrency_limit
        FROM runs q
        WHERE q.automation_id = ${automationId}::uuid AND q.workspace_id = ${workspaceId}::uuid
          AND q.concurrency_key = ${key} AND q.concurrency_limit IS NOT NULL AND ${waitingInLine('q')}
      ), head AS (
        SELECT concurrency_limit AS lim FROM waiting ORDER BY priority DESC, created_at, id LIMIT 1
      ), used AS (
        SELECT count(*)::int AS n FROM run_slots s WHERE s.automation_id = ${automationId}::uuid AND s.key = ${key}
      )
      SELECT id, workspace_id AS "workspaceId", automation_id AS "automationId",
             attempt_count + 1 AS "nextAttempt", priority::int AS priority
      FROM waiting
      ORDER BY priority DESC, created_at, id
      LIMIT GREATEST(0, COALESCE((SELECT lim FROM head), 0) - (SELECT n FROM used))`;
  }

  /**
   * Lines with a run waiting longer than `olderThanMs` (queued, or its retry overdue by as much): a
   * slot may have freed without a refill reaching them (a process stopped in between, Redis lost the
   * job). The reconciler refills each, which gives a job to the head of the line only.
   */
  async findStaleLines(olderThanMs: number, limit: number): Promise<SlotLine[]> {
    const secs = olderThanMs / 1000;
    return this.db.$queryRaw<SlotLine[]>`
      SELECT DISTINCT workspace_id AS "workspaceId", automation_id AS "automationId", concurrency_key AS key
      FROM runs
      WHERE concurrency_limit IS NOT NULL AND concurrency_key IS NOT NULL
        AND ((status = 'queued' AND updated_at < now() - make_interval(secs => ${secs}))
          OR (status = 'retry_scheduled' AND next_attempt_at < now() - make_interval(secs => ${secs})))
      LIMIT ${limit}`;
  }

  /**
   * Deletes slots whose run is not running. Every statement that moves a run out of running deletes
   * its slot itself, so this finds none unless something bypassed them; it is the safety net that
   * keeps a line from shrinking for good. Returns the lines that got a slot back.
   */
  async purgeOrphanSlots(): Promise<SlotLine[]> {
    return this.db.$queryRaw<SlotLine[]>`
      DELETE FROM run_slots s USING runs r
      WHERE r.id = s.run_id AND r.status <> 'running'
      RETURNING s.workspace_id AS "workspaceId", s.automation_id AS "automationId", s.key`;
  }

  /**
   * Frees the slot of a run that is no longer running (its attempt closed after the run moved on, e.g.
   * a cancel while it ran: the slot stays held until the aborted attempt is really over). Returns the
   * run's line when a slot was freed.
   */
  async releaseIfNotRunning(runId: string): Promise<SlotLine | null> {
    const rows = await this.db.$queryRaw<SlotLine[]>`
      DELETE FROM run_slots s USING runs r
      WHERE s.run_id = ${runId}::uuid AND r.id = s.run_id AND r.status <> 'running'
      RETURNING s.workspace_id AS "workspaceId", s.automation_id AS "automationId", s.key`;
    return rows[0] ?? null;
  }

  /** How many slots a line holds (for tests and metrics). */
  async heldSlots(line: Pick<SlotLine, 'automationId' | 'key'>): Promise<number> {
    const rows = await this.db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM run_slots WHERE automation_id = ${line.automationId}::uuid AND key = ${line.key}`;
    return rows[0]?.n ?? 0;
  }
}
