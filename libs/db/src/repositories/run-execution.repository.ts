import type { Manifest, RunError, ScriptLanguage } from '@mendflow/common';
import type { RunTriggerContext } from '@mendflow/contracts';
import type { Db } from '../database';
import { Prisma } from '../generated/prisma/client';
import { byKeyInWorkspace } from '../by-key';
import { asJson, jsonParam } from '../json';
import {
  type AttemptOutcome,
  applyTransition,
  type Transition,
  type TransitionResult,
} from './run-transitions';
import { aheadOf, displayKey, type SlotLine, type SlotWait, waitingInLine } from './run-slots.repository';
import type { RunEventRecord } from './runs.repository';

/** What a worker needs to run an attempt, loaded in the statement that starts it. */
export interface StartedAttempt {
  runId: string;
  workspaceId: string;
  automationId: string;
  attempt: number;
  trigger: string;
  /** Where a triggered run came from (a schedule's tick: its scheduled time reaches ctx.run). */
  triggerContext: RunTriggerContext | null;
  input: unknown;
  versionId: string;
  versionNumber: number;
  /** The version's source as written; a TypeScript one is type-stripped before it runs. */
  source: string;
  language: ScriptLanguage;
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
  /** The run's priority; every job of the run (its retries too) is enqueued with it. */
  priority: number;
  /** The manifest's concurrency limit when the run was created, and its line (see RunSlotsRepository). */
  concurrencyLimit: number | null;
  concurrencyKey: string | null;
}

/** A limited run that could not take a slot: it stays waiting, and its job ends without running it. */
export interface BlockedAttempt {
  blocked: SlotWait;
  /** The line it waits in, to refill once this job has ended (a slot may have freed meanwhile). */
  line: SlotLine;
}

/** The attempt started; the run is blocked behind its concurrency limit; or it is not startable. */
export type BeginAttemptResult = StartedAttempt | BlockedAttempt | null;

export const isBlocked = (result: BeginAttemptResult): result is BlockedAttempt =>
  result !== null && 'blocked' in result;

type BeginAttemptRow = {
  [
    K in keyof Omit<
      StartedAttempt,
      | 'events'
      | 'workspaceId'
      | 'automationId'
      | 'priority'
      | 'concurrencyLimit'
      | 'concurrencyKey'
      | 'createdBy'
    >
  ]: StartedAttempt[K] | null;
} & {
  workspaceId: string;
  automationId: string;
  priority: number;
  concurrencyLimit: number | null;
  concurrencyKey: string | null;
  lastSeq: number;
  abandoned: number | null;
  eventsAt: Date;
  ahead: number | null;
  createdByKind: string | null;
  createdById: string | null;
};

const ABANDONED_ERROR: RunError = {
  name: 'WorkerLost',
  message: 'the worker running this attempt stopped before it finished; the run was picked up again',
};

/** How a start changes the run (CTE `r`), after `prev` closed an attempt a lost worker left open. */
const START_RUN = Prisma.sql`status = 'running', attempt_count = attempt_count + 1,
  last_seq = last_seq + 1 + (SELECT count(*)::int FROM prev),
  started_at = COALESCE(started_at, now()), updated_at = now(), next_attempt_at = NULL`;

/**
 * What both start statements do once the run (`r`) moved: open the attempt, and append its events
 * (`attempt.abandoned` for the attempt `prev` closed, then `run.running`), in seq order.
 */
const OPEN_ATTEMPT = Prisma.sql`, a AS (
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
)`;

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
   *
   * A run with a concurrency limit starts only by taking a slot of its line in this same statement:
   * it must be at the head of the line (fewer runs ahead of it than free slots) and insert a free slot
   * number; the unique slot number makes two workers admitting at once unable to exceed the limit (the
   * loser inserts nothing). A run already holding its slot (running, worker lost) keeps it. A run not
   * admitted stays where it was and `{ blocked }` is returned: nothing is to run, and the refill when a
   * slot frees up gives it a job again. Runs without a limit pay one primary-key probe for this.
   */
  async beginAttempt(workspaceId: string, runId: string): Promise<BeginAttemptResult> {
    // Runs without a limit (nearly all) start in one statement that never looks at slots; the slot
    // statement runs only when that one found nothing to start (a limited run, or a moot job).
    const started =
      (await this.beginUnlimited(workspaceId, runId)) ?? (await this.beginLimited(workspaceId, runId));
    // Only a later attempt can continue a wait: a first attempt (nearly every start) skips the look-up.
    if (started && !isBlocked(started) && started.attempt > 1) {
      started.resume = await this.resumeOf(workspaceId, runId, started.versionId);
    }
    return started;
  }

  /**
   * The attempt a start continues: the run's latest answered `waiting` attempt on the version it runs
   * (after a repair deployed new code, the run starts over).
   */
  private async resumeOf(
    workspaceId: string,
    runId: string,
    versionId: string,
  ): Promise<StartedAttempt['resume']> {
    const waiting = await this.db.runAttempt.findFirst({
      where: { workspaceId, runId, versionId, status: 'waiting', answer: { not: Prisma.AnyNull } },
      orderBy: { number: 'desc' },
      select: { number: true, recording: true, answer: true },
    });
    return waiting ? { attempt: waiting.number, recording: waiting.recording, answer: waiting.answer } : null;
  }

  /** The start of a run without a concurrency limit: null when the run has one, or is not startable. */
  private async beginUnlimited(workspaceId: string, runId: string): Promise<StartedAttempt | null> {
    const rows = await this.db.sql.query<BeginAttemptRow[]>(Prisma.sql`
      WITH prev AS (
        UPDATE run_attempts SET status = 'abandoned', finished_at = now(), error = ${jsonParam(ABANDONED_ERROR)}::jsonb
        WHERE ${byKeyInWorkspace('run_id', runId, workspaceId)} AND status = 'running'
          AND (SELECT concurrency_limit IS NULL FROM runs WHERE id = ${runId}::uuid)
        RETURNING number
      ), r AS (
        UPDATE runs SET ${START_RUN}
        WHERE ${byKeyInWorkspace('id', runId, workspaceId)}
          AND status IN ('queued', 'retry_scheduled', 'running') AND concurrency_limit IS NULL
        RETURNING id, workspace_id, automation_id, version_id, attempt_count, last_seq, input, trigger, trigger_context,
                  priority, created_by_kind, created_by
      )${OPEN_ATTEMPT}
      SELECT r.id AS "runId", r.workspace_id AS "workspaceId", r.automation_id AS "automationId",
             r.attempt_count AS attempt, r.trigger, r.trigger_context AS "triggerContext", r.input, r.version_id AS "versionId", r.last_seq AS "lastSeq",
             v.number AS "versionNumber", v.source, v.language, v.manifest, (SELECT max(number) FROM prev) AS abandoned,
             (SELECT created_at FROM e) AS "eventsAt", r.priority::int AS priority,
             NULL::int AS "concurrencyLimit", NULL::text AS "concurrencyKey", NULL::int AS ahead,
             r.created_by_kind AS "createdByKind", r.created_by AS "createdById", NULL::jsonb AS resume
      FROM r JOIN automation_versions v ON v.id = r.version_id`);
    const row = rows[0];
    return row ? this.started(workspaceId, runId, row) : null;
  }

  /** The start of a limited run (see beginAttempt), or of a run that turns out not startable. */
  private async beginLimited(workspaceId: string, runId: string): Promise<BeginAttemptResult> {
    const rows = await this.db.sql.query<BeginAttemptRow[]>(Prisma.sql`
      WITH me AS (
        SELECT id, workspace_id, automation_id, status, priority, created_at, concurrency_limit, concurrency_key,
               concurrency_limit IS NOT NULL AND EXISTS (SELECT 1 FROM run_slots s WHERE s.run_id = runs.id) AS holds
        FROM runs
        WHERE ${byKeyInWorkspace('id', runId, workspaceId)}
          AND status IN ('queued', 'retry_scheduled', 'running')
      ), line AS (
        -- Only for a limited run without its slot: how many start before it, and how many slots are free.
        -- A run found running was admitted before (its slot went missing): it only needs a free slot.
        SELECT CASE WHEN me.status = 'running' THEN 0 ELSE (
                 SELECT count(*)::int FROM (
                   SELECT 1 FROM runs q WHERE ${aheadOf('q', 'me')} AND ${waitingInLine('q')} LIMIT me.concurrency_limit
                 ) x) END AS ahead,
               me.concurrency_limit - (SELECT count(*)::int FROM run_slots s
                 WHERE s.automation_id = me.automation_id AND s.key = me.concurrency_key) AS free
        FROM me WHERE me.concurrency_limit IS NOT NULL AND NOT me.holds
      ), slot AS (
        -- The (ahead+1)-th free slot number: runs admitted at once from different places in the line
        -- pick different numbers. A conflict (a race lost) inserts nothing, and the run is not admitted.
        INSERT INTO run_slots (run_id, workspace_id, automation_id, key, slot_no)
        SELECT me.id, me.workspace_id, me.automation_id, me.concurrency_key, f.n
        FROM me, line, (
          SELECT g.n, row_number() OVER (ORDER BY g.n) - 1 AS pos
          FROM me, generate_series(1, me.concurrency_limit) g(n)
          WHERE NOT EXISTS (SELECT 1 FROM run_slots s WHERE s.automation_id = me.automation_id
                              AND s.key = me.concurrency_key AND s.slot_no = g.n)
        ) f
        WHERE line.ahead < line.free AND f.pos = line.ahead
        ON CONFLICT DO NOTHING
        RETURNING slot_no
      ), ok AS (
        SELECT 1 FROM me WHERE me.concurrency_limit IS NULL OR me.holds OR EXISTS (SELECT 1 FROM slot)
      ), prev AS (
        UPDATE run_attempts SET status = 'abandoned', finished_at = now(), error = ${jsonParam(ABANDONED_ERROR)}::jsonb
        WHERE ${byKeyInWorkspace('run_id', runId, workspaceId)} AND status = 'running'
          AND EXISTS (SELECT 1 FROM ok)
        RETURNING number
      ), r AS (
        UPDATE runs SET ${START_RUN}
        WHERE ${byKeyInWorkspace('id', runId, workspaceId)}
          AND status IN ('queued', 'retry_scheduled', 'running') AND EXISTS (SELECT 1 FROM ok)
        RETURNING id, workspace_id, automation_id, version_id, attempt_count, last_seq, input, trigger, trigger_context,
                  priority, concurrency_limit, concurrency_key, created_by_kind, created_by
      )${OPEN_ATTEMPT}
      SELECT r.id AS "runId", me.workspace_id AS "workspaceId", me.automation_id AS "automationId",
             r.attempt_count AS attempt, r.trigger, r.trigger_context AS "triggerContext", r.input, r.version_id AS "versionId", r.last_seq AS "lastSeq",
             v.number AS "versionNumber", v.source, v.language, v.manifest, (SELECT max(number) FROM prev) AS abandoned,
             (SELECT created_at FROM e) AS "eventsAt", me.priority::int AS priority,
             me.concurrency_limit AS "concurrencyLimit", me.concurrency_key AS "concurrencyKey",
             (SELECT ahead FROM line) AS ahead,
             r.created_by_kind AS "createdByKind", r.created_by AS "createdById", NULL::jsonb AS resume
      FROM me LEFT JOIN r ON true LEFT JOIN automation_versions v ON v.id = r.version_id`);
    const row = rows[0];
    if (!row) return null;
    if (row.runId === null) {
      // Not admitted: a limited run without a slot; or a run that moved on under this statement.
      if (row.concurrencyLimit === null || row.concurrencyKey === null) return null;
      const line = { workspaceId, automationId: row.automationId, key: row.concurrencyKey };
      return {
        blocked: { ahead: row.ahead ?? 0, limit: row.concurrencyLimit, key: displayKey(row.concurrencyKey) },
        line,
      };
    }
    return this.started(workspaceId, runId, row);
  }

  /** A started attempt from the row either start statement returns. */
  private started(workspaceId: string, runId: string, row: BeginAttemptRow): StartedAttempt {
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
      ahead: _ahead,
      createdByKind,
      createdById,
      ...started
    } = row;
    const createdBy = createdByKind && createdById ? { kind: createdByKind, id: createdById } : null;
    return { ...(started as Omit<StartedAttempt, 'events' | 'createdBy'>), createdBy, events };
  }

  /** Appends an event that changes no status (repair progress, notes), with the next seq. */
  async appendEvent(
    workspaceId: string,
    runId: string,
    type: string,
    data: Record<string, unknown>,
  ): Promise<RunEventRecord | null> {
    const rows = await this.db.sql.query<{ seq: number; createdAt: Date }[]>(Prisma.sql`
      WITH r AS (
        UPDATE runs SET last_seq = last_seq + 1, updated_at = now()
        WHERE ${byKeyInWorkspace('id', runId, workspaceId)}
        RETURNING id, workspace_id, last_seq
      )
      INSERT INTO run_events (workspace_id, run_id, seq, type, data)
      SELECT workspace_id, id, last_seq, ${type}, ${JSON.stringify(data)}::jsonb FROM r
      RETURNING seq, created_at AS "createdAt"`);
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
   * Runs with a concurrency limit are left out: most of them wait for a slot, not for a job, and only
   * the head of their line needs one (RunSlotsRepository.findStaleLines).
   */
  async findStaleWaiting(
    olderThanMs: number,
    limit: number,
  ): Promise<
    { id: string; workspaceId: string; automationId: string; nextAttempt: number; priority: number }[]
  > {
    return this.db.$queryRaw<
      { id: string; workspaceId: string; automationId: string; nextAttempt: number; priority: number }[]
    >`
      SELECT id, workspace_id AS "workspaceId", automation_id AS "automationId", attempt_count + 1 AS "nextAttempt",
             priority::int AS priority FROM runs
      WHERE ((status = 'queued' AND updated_at < now() - make_interval(secs => ${olderThanMs / 1000}))
         OR (status = 'retry_scheduled' AND next_attempt_at < now() - make_interval(secs => ${olderThanMs / 1000})))
        AND concurrency_limit IS NULL
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

  /**
   * Runs `repairing` for longer than `olderThanMs`, with the repair of their current attempt: the
   * caller checks the repair's job and enqueues it again when Redis lost it (the repair loop goes on
   * from the status the repair stored). Not workspace-scoped, like the above.
   */
  async findStaleRepairing(
    olderThanMs: number,
    limit: number,
  ): Promise<{ id: string; workspaceId: string; repairId: string }[]> {
    return this.db.$queryRaw<{ id: string; workspaceId: string; repairId: string }[]>`
      SELECT r.id, r.workspace_id AS "workspaceId", rp.id AS "repairId"
      FROM runs r
      JOIN LATERAL (
        SELECT id FROM repairs p WHERE p.run_id = r.id AND p.attempt = r.attempt_count
        ORDER BY p.created_at DESC LIMIT 1
      ) rp ON true
      WHERE r.status = 'repairing' AND r.updated_at < now() - make_interval(secs => ${olderThanMs / 1000})
      ORDER BY r.updated_at LIMIT ${limit}`;
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
   * run's earlier attempts that no worker finished. `attemptOverdue`: the current attempt started
   * longer ago than its version's time limit (`limits.timeoutMs`, the sandbox's wall-clock deadline)
   * plus `graceMs`, so no worker can still be running its script.
   */
  async findStaleRunning(olderThanMs: number, limit: number, graceMs: number): Promise<StaleRunningRun[]> {
    return this.db.$queryRaw<StaleRunningRun[]>`
      SELECT r.id, r.workspace_id AS "workspaceId", r.automation_id AS "automationId", r.attempt_count AS attempt,
             (SELECT count(*)::int FROM run_attempts a WHERE a.run_id = r.id AND a.status = 'abandoned') AS "abandonedAttempts",
             COALESCE((
               SELECT a.started_at + make_interval(secs => (COALESCE((v.manifest->'limits'->>'timeoutMs')::int, 900000) + ${graceMs}) / 1000.0) < now()
               FROM run_attempts a JOIN automation_versions v ON v.id = a.version_id
               WHERE a.run_id = r.id AND a.number = r.attempt_count
             ), true) AS "attemptOverdue"
      FROM runs r
      WHERE r.status = 'running' AND r.updated_at < now() - make_interval(secs => ${olderThanMs / 1000})
      ORDER BY r.updated_at LIMIT ${limit}`;
  }
}

export interface StaleRunningRun {
  id: string;
  workspaceId: string;
  automationId: string;
  attempt: number;
  abandonedAttempts: number;
  attemptOverdue: boolean;
}
