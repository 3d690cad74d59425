import {
  type InboxAction,
  type InboxKind,
  isTerminal,
  type RunError,
  type RunStatus,
} from '@mendflow/common';
import type { Db } from '../database';
import { Prisma } from '../generated/prisma/client';
import { byKeyInWorkspace } from '../by-key';
import { jsonParam } from '../json';
import type { RunEventRecord } from './runs.repository';

/** What an attempt left behind, stored on its row when it closes. */
export interface AttemptOutcome {
  /** `waiting`: the script asked to wait (approval, sleep); a later attempt resumes where it stopped. */
  status: 'succeeded' | 'failed' | 'waiting';
  output?: unknown;
  error?: RunError;
  logs: unknown;
  recording: unknown;
  cost: { cpuMs: number; wallMs: number; memoryBytes: number; fetches: number };
}

/** An action-needed item opened in the same statement as the transition that needs it. */
export interface InboxDraft {
  /** The item's id, when the caller names it in the event it appends with it; generated otherwise. */
  id?: string;
  kind: InboxKind;
  title: string;
  reason: string;
  evidence: unknown;
  actions: InboxAction[];
  repairId?: string;
  /** An approval request's deadline: past it the item closes as expired. */
  expiresAt?: Date;
}

export interface Transition {
  /** The run moves only from one of these statuses; anything else means a newer decision won. */
  from: readonly RunStatus[];
  to: RunStatus;
  /**
   * `false` when the caller knows the run has no concurrency limit (a worker settling an attempt it
   * started): the statement then skips freeing a slot. Absent means "maybe": the slot is freed.
   */
  holdsSlot?: boolean;
  event: { type: string; data: Record<string, unknown> };
  /**
   * Closes this attempt (the run must still be on it): with what it left behind, or as abandoned (no
   * worker finished it) with the error saying why.
   */
  attempt?:
    | { number: number; outcome: AttemptOutcome; classification?: unknown; wait?: unknown }
    | { number: number; abandoned: RunError };
  /** Stores the answer to the wait of this (waiting) attempt, which the next attempt resumes with. */
  answerWait?: { attempt: number; answer: unknown };
  versionId?: string;
  nextAttemptAt?: Date | null;
  output?: unknown;
  error?: RunError | null;
  inbox?: InboxDraft;
}

export interface TransitionResult {
  runId: string;
  workspaceId: string;
  automationId: string;
  status: RunStatus;
  attemptCount: number;
  event: RunEventRecord;
  inboxItemId: string | null;
  /** The run's priority: a job enqueued after this transition (retry, resume) carries it. */
  priority: number;
  /** The run's concurrency limit and line ('' without a key), null without a limit (see RunSlotsRepository). */
  concurrencyLimit: number | null;
  concurrencyKey: string | null;
}

/**
 * Every run state change is one conditional statement: update the run if it is still in an expected
 * status, close its attempt, open an inbox item, and append the event with the next seq. A late or
 * repeated message therefore cannot move a run backwards, and the timeline never has gaps.
 */
export async function applyTransition(
  db: Db,
  workspaceId: string,
  runId: string,
  t: Transition,
): Promise<TransitionResult | null> {
  const sets = [
    Prisma.sql`status = ${t.to}`,
    Prisma.sql`last_seq = last_seq + 1`,
    Prisma.sql`updated_at = now()`,
    isTerminal(t.to) ? Prisma.sql`finished_at = now()` : Prisma.sql`finished_at = NULL`,
  ];
  if (t.versionId !== undefined) sets.push(Prisma.sql`version_id = ${t.versionId}::uuid`);
  if (t.nextAttemptAt !== undefined) sets.push(Prisma.sql`next_attempt_at = ${t.nextAttemptAt}`);
  if (t.output !== undefined) sets.push(Prisma.sql`output = ${jsonParam(t.output)}::jsonb`);
  if (t.error !== undefined) sets.push(Prisma.sql`error = ${jsonParam(t.error ?? undefined)}::jsonb`);

  const conditions = [
    byKeyInWorkspace('id', runId, workspaceId),
    Prisma.sql`status IN (${Prisma.join([...t.from])})`,
  ];
  if (t.attempt) conditions.push(Prisma.sql`attempt_count = ${t.attempt.number}`);
  if (t.answerWait) conditions.push(Prisma.sql`attempt_count = ${t.answerWait.attempt}`);

  const attemptUpdate = !t.attempt
    ? Prisma.empty
    : 'abandoned' in t.attempt
      ? Prisma.sql`, a AS (
        UPDATE run_attempts SET status = 'abandoned', error = ${jsonParam(t.attempt.abandoned)}::jsonb, finished_at = now()
        WHERE run_id = ${runId}::uuid AND number = ${t.attempt.number} AND status = 'running' AND EXISTS (SELECT 1 FROM r)
      )`
      : Prisma.sql`, a AS (
        UPDATE run_attempts SET status = ${t.attempt.outcome.status},
          output = ${jsonParam(t.attempt.outcome.output)}::jsonb, error = ${jsonParam(t.attempt.outcome.error)}::jsonb,
          classification = ${jsonParam(t.attempt.classification)}::jsonb, logs = ${jsonParam(t.attempt.outcome.logs)}::jsonb,
          recording = ${jsonParam(t.attempt.outcome.recording)}::jsonb, cpu_ms = ${t.attempt.outcome.cost.cpuMs},
          wall_ms = ${t.attempt.outcome.cost.wallMs}, memory_bytes = ${Math.round(t.attempt.outcome.cost.memoryBytes)},
          fetches = ${t.attempt.outcome.cost.fetches}, wait = ${jsonParam(t.attempt.wait)}::jsonb, finished_at = now()
        WHERE run_id = ${runId}::uuid AND number = ${t.attempt.number} AND status = 'running' AND EXISTS (SELECT 1 FROM r)
      )`;

  const answerUpdate = t.answerWait
    ? Prisma.sql`, w AS (
        UPDATE run_attempts SET answer = ${jsonParam(t.answerWait.answer)}::jsonb
        WHERE run_id = ${runId}::uuid AND number = ${t.answerWait.attempt} AND status = 'waiting' AND EXISTS (SELECT 1 FROM r)
      )`
    : Prisma.empty;

  const inboxInsert = t.inbox
    ? Prisma.sql`, i AS (
        INSERT INTO inbox_items (id, workspace_id, run_id, automation_id, kind, title, reason, evidence, actions, repair_id, expires_at)
        SELECT COALESCE(${t.inbox.id ?? null}::uuid, gen_random_uuid()), workspace_id, id, automation_id, ${t.inbox.kind}, ${t.inbox.title}, ${t.inbox.reason},
               ${jsonParam(t.inbox.evidence ?? {})}::jsonb, ${t.inbox.actions}::text[], ${t.inbox.repairId ?? null}::uuid,
               ${t.inbox.expiresAt ?? null}::timestamptz
        FROM r RETURNING id
      )`
    : Prisma.sql`, i AS (SELECT NULL::uuid AS id WHERE false)`;

  // A run leaving running gives up its concurrency slot in the same statement (a primary-key delete,
  // which finds nothing for a run without a limit, and is left out when the caller knows it has none).
  const slotRelease =
    t.to === 'running' || t.holdsSlot === false
      ? Prisma.empty
      : Prisma.sql`, s AS (DELETE FROM run_slots WHERE run_id = ${runId}::uuid AND EXISTS (SELECT 1 FROM r))`;

  const rows = await db.sql.query<
    {
      automationId: string;
      attemptCount: number;
      seq: number;
      createdAt: Date;
      inboxItemId: string | null;
      priority: number;
      concurrencyLimit: number | null;
      concurrencyKey: string | null;
    }[]
  >(Prisma.sql`
    WITH r AS (
      UPDATE runs SET ${Prisma.join(sets, ', ')}
      WHERE ${Prisma.join(conditions, ' AND ')}
      RETURNING id, workspace_id, automation_id, attempt_count, last_seq, priority, concurrency_limit, concurrency_key
    )${attemptUpdate}${answerUpdate}${inboxInsert}${slotRelease}, e AS (
      INSERT INTO run_events (workspace_id, run_id, seq, type, data)
      SELECT workspace_id, id, last_seq, ${t.event.type}, ${JSON.stringify(t.event.data)}::jsonb FROM r
      RETURNING seq, created_at
    )
    SELECT r.automation_id AS "automationId", r.attempt_count AS "attemptCount", e.seq, e.created_at AS "createdAt",
           (SELECT id FROM i) AS "inboxItemId", r.priority::int AS priority,
           r.concurrency_limit AS "concurrencyLimit", r.concurrency_key AS "concurrencyKey"
    FROM r, e`);
  const row = rows[0];
  if (!row) return null;
  return {
    runId,
    workspaceId,
    automationId: row.automationId,
    status: t.to,
    attemptCount: row.attemptCount,
    inboxItemId: row.inboxItemId,
    priority: row.priority,
    concurrencyLimit: row.concurrencyLimit,
    concurrencyKey: row.concurrencyKey,
    event: {
      runId,
      workspaceId,
      seq: row.seq,
      type: t.event.type,
      data: t.event.data,
      createdAt: row.createdAt,
    },
  };
}
