import type { Manifest, RunError } from '@mendflow/common';
import type { Db } from '../database';
import { asJson, jsonParam } from '../json';
import {
  type AttemptOutcome,
  applyTransition,
  type Transition,
  type TransitionResult,
} from './run-transitions';
import type { RunEventRecord } from './runs.repository';

/** What a worker needs to run an attempt, loaded in the statement that starts it. */
export interface StartedAttempt {
  runId: string;
  workspaceId: string;
  automationId: string;
  attempt: number;
  trigger: string;
  input: unknown;
  versionId: string;
  versionNumber: number;
  source: string;
  manifest: Manifest;
  /** Who started the run, when known (shown to whoever answers its approval requests). */
  createdBy: { kind: string; id: string } | null;
  /**
   * Set when this attempt continues a run that waited: the waiting attempt's recording (its calls are
   * served again, not repeated) and the answer its wait got. Only a wait made on the version the run is
   * on now: after a repair deployed new code the run starts over.
   */
  resume: { attempt: number; recording: unknown; answer: unknown } | null;
  /** Events appended by the start (an abandoned previous attempt, then run.running). */
  events: RunEventRecord[];
}

const ABANDONED_ERROR: RunError = {
  name: 'WorkerLost',
  message: 'the worker running this attempt stopped before it finished; the run was picked up again',
};

/**
 * The worker's state changes. Each is one conditional statement (`WHERE status IN …`), so a late or
 * repeated job can never move a run backwards, and each appends its event with the next seq.
 */
export class RunExecutionRepository {
  constructor(private readonly db: Db) {}

  /**
   * Moves a queued (or retry-scheduled) run to running and opens its next attempt. A run found still
   * `running` means the worker that had it died (its job was redelivered): that attempt is marked
   * abandoned and a new one starts. Returns null when the run is not startable (finished, cancelled).
   */
  async beginAttempt(workspaceId: string, runId: string): Promise<StartedAttempt | null> {
    const rows = await this.db.$queryRaw<
      (Omit<StartedAttempt, 'events' | 'createdBy'> & {
        lastSeq: number;
        abandoned: number | null;
        eventsAt: Date;
        createdByKind: string | null;
        createdById: string | null;
      })[]
    >`
      WITH prev AS (
        UPDATE run_attempts SET status = 'abandoned', finished_at = now(), error = ${jsonParam(ABANDONED_ERROR)}::jsonb
        WHERE run_id = ${runId}::uuid AND workspace_id = ${workspaceId}::uuid AND status = 'running'
        RETURNING number
      ), r AS (
        UPDATE runs SET status = 'running', attempt_count = attempt_count + 1,
          last_seq = last_seq + 1 + (SELECT count(*)::int FROM prev),
          started_at = COALESCE(started_at, now()), updated_at = now(), next_attempt_at = NULL
        WHERE id = ${runId}::uuid AND workspace_id = ${workspaceId}::uuid
          AND status IN ('queued', 'retry_scheduled', 'running')
        RETURNING id, workspace_id, automation_id, version_id, attempt_count, last_seq, input, trigger,
                  created_by_kind, created_by
      ), a AS (
        INSERT INTO run_attempts (workspace_id, run_id, number, version_id, status)
        SELECT workspace_id, id, attempt_count, version_id, 'running' FROM r
      ), e_abandoned AS (
        INSERT INTO run_events (workspace_id, run_id, seq, type, data)
        SELECT r.workspace_id, r.id, r.last_seq - 1, 'attempt.abandoned',
               jsonb_build_object('attempt', prev.number, 'reason', ${ABANDONED_ERROR.message}::text)
        FROM r, prev
      ), e AS (
        INSERT INTO run_events (workspace_id, run_id, seq, type, data)
        SELECT workspace_id, id, last_seq, 'run.running', jsonb_build_object('attempt', attempt_count) FROM r
        RETURNING created_at
      )
      SELECT r.id AS "runId", r.workspace_id AS "workspaceId", r.automation_id AS "automationId",
             r.attempt_count AS attempt, r.trigger, r.input, r.version_id AS "versionId", r.last_seq AS "lastSeq",
             v.number AS "versionNumber", v.source, v.manifest, (SELECT max(number) FROM prev) AS abandoned,
             (SELECT created_at FROM e) AS "eventsAt", r.created_by_kind AS "createdByKind", r.created_by AS "createdById",
             (SELECT jsonb_build_object('attempt', w.number, 'recording', w.recording, 'answer', w.answer)
              FROM run_attempts w
              WHERE w.run_id = r.id AND w.status = 'waiting' AND w.answer IS NOT NULL AND w.version_id = r.version_id
              ORDER BY w.number DESC LIMIT 1) AS resume
      FROM r JOIN automation_versions v ON v.id = r.version_id`;
    const row = rows[0];
    if (!row) return null;
    // Both events were inserted by this statement, so they carry its timestamp (as stored, to the ms).
    const now = row.eventsAt;
    const events: RunEventRecord[] = [];
    if (row.abandoned !== null) {
      events.push({
        runId,
        workspaceId,
        seq: row.lastSeq - 1,
        type: 'attempt.abandoned',
        data: { attempt: row.abandoned, reason: ABANDONED_ERROR.message },
        createdAt: now,
      });
    }
    events.push({
      runId,
      workspaceId,
      seq: row.lastSeq,
      type: 'run.running',
      data: { attempt: row.attempt },
      createdAt: now,
    });
    const {
      lastSeq: _lastSeq,
      abandoned: _abandoned,
      eventsAt: _eventsAt,
      createdByKind,
      createdById,
      ...started
    } = row;
    const createdBy = createdByKind && createdById ? { kind: createdByKind, id: createdById } : null;
    return { ...started, createdBy, events };
  }

  /** Appends an event that changes no status (repair progress, notes), with the next seq. */
  async appendEvent(
    workspaceId: string,
    runId: string,
    type: string,
    data: Record<string, unknown>,
  ): Promise<RunEventRecord | null> {
    const rows = await this.db.$queryRaw<{ seq: number; createdAt: Date }[]>`
      WITH r AS (
        UPDATE runs SET last_seq = last_seq + 1, updated_at = now()
        WHERE id = ${runId}::uuid AND workspace_id = ${workspaceId}::uuid
        RETURNING id, workspace_id, last_seq
      )
      INSERT INTO run_events (workspace_id, run_id, seq, type, data)
      SELECT workspace_id, id, last_seq, ${type}, ${JSON.stringify(data)}::jsonb FROM r
      RETURNING seq, created_at AS "createdAt"`;
    const row = rows[0];
    return row ? { runId, workspaceId, seq: row.seq, type, data, createdAt: row.createdAt } : null;
  }

  /** The failing attempt a repair works from, with its recording and the version it ran. */
  async loadAttemptForRepair(workspaceId: string, runId: string, attempt: number) {
    return this.db.runAttempt.findFirst({
      where: { workspaceId, runId, number: attempt },
      include: { version: true, run: { select: { input: true, automationId: true, status: true } } },
    });
  }

  /** Recent successful attempts of an automation (newest first), to check a repair changes no good output. */
  async recentSuccesses(workspaceId: string, automationId: string, limit: number) {
    return this.db.runAttempt.findMany({
      where: { workspaceId, status: 'succeeded', run: { automationId } },
      orderBy: { finishedAt: 'desc' },
      take: limit,
      select: { runId: true, number: true, output: true, recording: true, run: { select: { input: true } } },
    });
  }

  /** Records a finished attempt whose run already moved on (e.g. cancelled while it ran). */
  async closeAttempt(
    workspaceId: string,
    runId: string,
    attempt: number,
    outcome: AttemptOutcome,
  ): Promise<void> {
    await this.db.runAttempt.updateMany({
      where: { workspaceId, runId, number: attempt, status: 'running' },
      data: {
        status: outcome.error?.limit === 'cancelled' ? 'cancelled' : outcome.status,
        output: asJson(outcome.output ?? null),
        error: asJson(outcome.error ?? null),
        logs: asJson(outcome.logs),
        recording: asJson(outcome.recording),
        cpuMs: outcome.cost.cpuMs,
        wallMs: outcome.cost.wallMs,
        memoryBytes: Math.round(outcome.cost.memoryBytes),
        fetches: outcome.cost.fetches,
        finishedAt: new Date(),
      },
    });
  }

  /** Applies a state change if the run is still where the caller expects it (see applyTransition). */
  transition(workspaceId: string, runId: string, transition: Transition): Promise<TransitionResult | null> {
    return applyTransition(this.db, workspaceId, runId, transition);
  }

  /**
   * Runs waiting for a job that may have been lost with Redis (or never added, if Redis was down):
   * queued longer than `olderThanMs`, or whose retry is overdue by as much. Not workspace-scoped on
   * purpose: the reconciler serves every workspace and re-enqueues by id with the next attempt number.
   */
  async findStaleWaiting(
    olderThanMs: number,
    limit: number,
  ): Promise<{ id: string; workspaceId: string; automationId: string; nextAttempt: number }[]> {
    return this.db.$queryRaw<
      { id: string; workspaceId: string; automationId: string; nextAttempt: number }[]
    >`
      SELECT id, workspace_id AS "workspaceId", automation_id AS "automationId", attempt_count + 1 AS "nextAttempt" FROM runs
      WHERE (status = 'queued' AND updated_at < now() - make_interval(secs => ${olderThanMs / 1000}))
         OR (status = 'retry_scheduled' AND next_attempt_at < now() - make_interval(secs => ${olderThanMs / 1000}))
      ORDER BY updated_at LIMIT ${limit}`;
  }

  /**
   * Waiting runs whose wake-up (a sleep's end, an approval's expiry) is overdue by more than
   * `overdueMs`: their timer job was lost (Redis flushed). Not workspace-scoped, like the above.
   */
  async findOverdueWaits(
    overdueMs: number,
    limit: number,
  ): Promise<{ id: string; workspaceId: string; attempt: number }[]> {
    return this.db.$queryRaw<{ id: string; workspaceId: string; attempt: number }[]>`
      SELECT id, workspace_id AS "workspaceId", attempt_count AS attempt FROM runs
      WHERE status = 'waiting' AND next_attempt_at < now() - make_interval(secs => ${overdueMs / 1000})
      ORDER BY next_attempt_at LIMIT ${limit}`;
  }

  /** What a waiting attempt waits for and the answer it got, if any. */
  async loadWait(
    workspaceId: string,
    runId: string,
    attempt: number,
  ): Promise<{ status: string; wait: unknown; answer: unknown } | null> {
    const row = await this.db.runAttempt.findFirst({
      where: { workspaceId, runId, number: attempt },
      select: { status: true, wait: true, answer: true },
    });
    return row ? { status: row.status, wait: row.wait, answer: row.answer } : null;
  }

  /**
   * Runs `running` for longer than `olderThanMs` since they started their attempt: candidates for an
   * attempt no worker holds any more (its job failed, vanished with Redis, or completed without
   * settling). The caller checks each one's job before it acts, and acts with a transition
   * conditional on the attempt, so a worker still on it always wins. `abandonedAttempts` counts the
   * run's earlier attempts that no worker finished.
   */
  async findStaleRunning(
    olderThanMs: number,
    limit: number,
  ): Promise<
    { id: string; workspaceId: string; automationId: string; attempt: number; abandonedAttempts: number }[]
  > {
    return this.db.$queryRaw<
      { id: string; workspaceId: string; automationId: string; attempt: number; abandonedAttempts: number }[]
    >`
      SELECT r.id, r.workspace_id AS "workspaceId", r.automation_id AS "automationId", r.attempt_count AS attempt,
             (SELECT count(*)::int FROM run_attempts a WHERE a.run_id = r.id AND a.status = 'abandoned') AS "abandonedAttempts"
      FROM runs r
      WHERE r.status = 'running' AND r.updated_at < now() - make_interval(secs => ${olderThanMs / 1000})
      ORDER BY r.updated_at LIMIT ${limit}`;
  }
}
