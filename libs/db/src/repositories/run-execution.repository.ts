import type { Manifest, RunError, RunStatus } from '@mendflow/common';
import type { Db } from '../database';
import { jsonParam } from '../json';
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
  /** Events appended by the start (an abandoned previous attempt, then run.running). */
  events: RunEventRecord[];
}

export interface AttemptOutcome {
  status: 'succeeded' | 'failed';
  output?: unknown;
  error?: RunError;
  logs: unknown;
  recording: unknown;
  cost: { cpuMs: number; wallMs: number; memoryBytes: number; fetches: number };
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
      (Omit<StartedAttempt, 'events'> & { lastSeq: number; abandoned: number | null })[]
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
        RETURNING id, workspace_id, automation_id, version_id, attempt_count, last_seq, input, trigger
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
      )
      SELECT r.id AS "runId", r.workspace_id AS "workspaceId", r.automation_id AS "automationId",
             r.attempt_count AS attempt, r.trigger, r.input, r.version_id AS "versionId", r.last_seq AS "lastSeq",
             v.number AS "versionNumber", v.source, v.manifest, (SELECT max(number) FROM prev) AS abandoned
      FROM r JOIN automation_versions v ON v.id = r.version_id`;
    const row = rows[0];
    if (!row) return null;
    const now = new Date();
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
    events.push({ runId, workspaceId, seq: row.lastSeq, type: 'run.running', data: { attempt: row.attempt }, createdAt: now });
    const { lastSeq: _lastSeq, abandoned: _abandoned, ...started } = row;
    return { ...started, events };
  }

  /**
   * Closes the attempt and moves the run to its outcome, if the run is still running this attempt
   * (a cancel or a newer attempt wins). Returns the appended event, or null when nothing changed.
   */
  async finishAttempt(
    workspaceId: string,
    runId: string,
    attempt: number,
    outcome: AttemptOutcome,
  ): Promise<RunEventRecord | null> {
    const runStatus: RunStatus = outcome.status;
    const eventType = outcome.status === 'succeeded' ? 'run.succeeded' : 'run.failed';
    const eventData = {
      attempt,
      wallMs: Math.round(outcome.cost.wallMs * 100) / 100,
      ...(outcome.error && { error: { name: outcome.error.name, message: outcome.error.message } }),
    };
    const rows = await this.db.$queryRaw<{ seq: number; createdAt: Date }[]>`
      WITH r AS (
        UPDATE runs SET status = ${runStatus}, output = ${jsonParam(outcome.output)}::jsonb,
          error = ${jsonParam(outcome.error)}::jsonb, finished_at = now(), updated_at = now(),
          last_seq = last_seq + 1
        WHERE id = ${runId}::uuid AND workspace_id = ${workspaceId}::uuid
          AND status = 'running' AND attempt_count = ${attempt}
        RETURNING id, workspace_id, last_seq
      ), a AS (
        UPDATE run_attempts SET status = ${outcome.status}, output = ${jsonParam(outcome.output)}::jsonb,
          error = ${jsonParam(outcome.error)}::jsonb, logs = ${jsonParam(outcome.logs)}::jsonb,
          recording = ${jsonParam(outcome.recording)}::jsonb, cpu_ms = ${outcome.cost.cpuMs},
          wall_ms = ${outcome.cost.wallMs}, memory_bytes = ${Math.round(outcome.cost.memoryBytes)},
          fetches = ${outcome.cost.fetches}, finished_at = now()
        WHERE run_id = ${runId}::uuid AND number = ${attempt} AND status = 'running' AND EXISTS (SELECT 1 FROM r)
      )
      INSERT INTO run_events (workspace_id, run_id, seq, type, data)
      SELECT workspace_id, id, last_seq, ${eventType}, ${JSON.stringify(eventData)}::jsonb FROM r
      RETURNING seq, created_at AS "createdAt"`;
    const row = rows[0];
    if (!row) return null;
    return { runId, workspaceId, seq: row.seq, type: eventType, data: eventData, createdAt: row.createdAt };
  }

  /**
   * Runs that have sat queued longer than `olderThanMs`: their job may have been lost with Redis.
   * Not workspace-scoped on purpose: the reconciler serves every workspace and re-enqueues by id.
   */
  async findStaleQueued(olderThanMs: number, limit: number): Promise<{ id: string; workspaceId: string }[]> {
    return this.db.$queryRaw<{ id: string; workspaceId: string }[]>`
      SELECT id, workspace_id AS "workspaceId" FROM runs
      WHERE status = 'queued' AND updated_at < now() - make_interval(secs => ${olderThanMs / 1000})
      ORDER BY updated_at LIMIT ${limit}`;
  }
}
