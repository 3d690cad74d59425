import {
  DEFAULT_IDEMPOTENCY_TTL_HOURS,
  DomainError,
  ErrorCodes,
  NotFoundError,
  RUN_PRIORITY,
  type RunError,
  type RunStatus,
  type RunTrigger,
} from '@mendflow/common';
import { ACTIVE_RUN_STATUSES, type RunTriggerContext } from '@mendflow/contracts';
import { decodeCursor, encodeCursor } from '../cursor';
import type { Db } from '../database';
import { Prisma } from '../generated/prisma/client';
import { byKeyInWorkspace } from '../by-key';
import { jsonParam } from '../json';
import { aheadOf, displayKey, type SlotWait, waitingInLine } from './run-slots.repository';

export interface RunRecord {
  id: string;
  workspaceId: string;
  automationId: string;
  automationName: string;
  versionId: string;
  versionNumber: number;
  status: RunStatus;
  trigger: RunTrigger;
  /** Where a triggered run came from (an event, a schedule, a webhook); null for manual and API runs. */
  triggerContext: RunTriggerContext | null;
  input: unknown;
  output: unknown;
  error: RunError | null;
  idempotencyKey: string | null;
  attemptCount: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  priority: number;
  concurrencyLimit: number | null;
  /** The run's line among its automation's runs: the concurrency key's value, '' without a key. */
  concurrencyKey: string | null;
  /** Set while the run waits for a concurrency slot: it is in line and cannot start yet. */
  slotWait: SlotWait | null;
  /** Set while the run is `waiting` for a person's answer: its open approval request. */
  approvalWait: { inboxItemId: string; title: string; expiresAt: string } | null;
}

/** A row as RUN_COLUMNS reads it, before the slot columns become `slotWait`. */
type RunRow = Omit<RunRecord, 'slotWait'> & { slotAhead: number | null; slotsUsed: number | null };

function toRecord(row: RunRow): RunRecord {
  const { slotAhead, slotsUsed, ...run } = row;
  const waiting =
    run.concurrencyLimit !== null &&
    run.concurrencyKey !== null &&
    slotAhead !== null &&
    slotsUsed !== null &&
    slotAhead + slotsUsed >= run.concurrencyLimit;
  return {
    ...run,
    slotWait: waiting
      ? { ahead: slotAhead, limit: run.concurrencyLimit!, key: displayKey(run.concurrencyKey!) }
      : null,
  };
}

export interface AttemptRecord {
  id: string;
  number: number;
  versionId: string;
  versionNumber: number;
  status: string;
  output: unknown;
  error: RunError | null;
  classification: unknown;
  cpuMs: number | null;
  wallMs: number | null;
  memoryBytes: number | null;
  fetches: number | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface RunEventRecord {
  runId: string;
  workspaceId: string;
  seq: number;
  type: string;
  data: unknown;
  createdAt: Date;
}

export interface RunFilters {
  status?: RunStatus;
  trigger?: RunTrigger;
  automationId?: string;
  /** Failure class of the run's latest attempt (transient, logic, auth, policy, unknown). */
  failureClass?: string;
  createdFrom?: Date;
  createdTo?: Date;
}

/**
 * A run was to start on a version read from a cache (createQueued's `onlyIfDeployed`), and the
 * automation has changed since: another version is deployed, it was paused or deleted.
 */
export class StaleDeploymentError extends Error {
  override readonly name = 'StaleDeploymentError';
  constructor(readonly automationId: string) {
    super(`automation ${automationId} changed since its deployed version was read`);
  }
}

/** The guard of an insert that must only happen while `versionId` is the active automation's deployed one. */
function stillDeployed(workspaceId: string, automationId: string, versionId: string) {
  return Prisma.sql`FROM automations g WHERE ${byKeyInWorkspace('id', automationId, workspaceId, 'g')}
    AND g.deployed_version_id = ${versionId}::uuid AND g.status = 'active' AND g.deleted_at IS NULL`;
}

const runNotFound = (id: string) => new NotFoundError(ErrorCodes.RUN_NOT_FOUND, 'run', id);

/** A run's own columns. */
const RUN_OWN_COLUMNS = Prisma.sql`
  r.id, r.workspace_id AS "workspaceId", r.automation_id AS "automationId", a.name AS "automationName",
  r.version_id AS "versionId", v.number AS "versionNumber", r.status, r.trigger, r.input, r.output, r.error,
  r.idempotency_key AS "idempotencyKey", r.trigger_context AS "triggerContext", r.attempt_count AS "attemptCount", r.next_attempt_at AS "nextAttemptAt",
  r.created_at AS "createdAt", r.started_at AS "startedAt", r.finished_at AS "finishedAt", r.updated_at AS "updatedAt",
  r.priority::int AS priority, r.concurrency_limit AS "concurrencyLimit", r.concurrency_key AS "concurrencyKey"`;

/** What a run waits for, when it rests: its place in a concurrency line, its open approval request. */
const RUN_WAIT_COLUMNS = Prisma.sql`
  CASE WHEN r.concurrency_limit IS NOT NULL AND ${waitingInLine('r')} THEN
    (SELECT count(*)::int FROM runs q WHERE ${aheadOf('q', 'r')} AND ${waitingInLine('q')}) END AS "slotAhead",
  CASE WHEN r.concurrency_limit IS NOT NULL AND ${waitingInLine('r')} THEN
    (SELECT count(*)::int FROM run_slots s WHERE s.automation_id = r.automation_id AND s.key = r.concurrency_key) END AS "slotsUsed",
  CASE WHEN r.status = 'waiting' THEN
    (SELECT jsonb_build_object('inboxItemId', i.id, 'title', i.title,
                               'expiresAt', to_char(i.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
     FROM inbox_items i WHERE i.run_id = r.id AND i.kind = 'approval' AND i.status = 'open'
     ORDER BY i.created_at DESC LIMIT 1) END AS "approvalWait"`;

const RUN_COLUMNS = Prisma.sql`${RUN_OWN_COLUMNS}, ${RUN_WAIT_COLUMNS}`;
/** A run just created without a limit waits for nothing yet: its columns without the subqueries. */
const NEW_RUN_COLUMNS = Prisma.sql`${RUN_OWN_COLUMNS}, NULL::int AS "slotAhead", NULL::int AS "slotsUsed", NULL::jsonb AS "approvalWait"`;

/**
 * Runs as users see them: creation, history, one run with its attempts, and its event timeline.
 * Every state change that appends an event does so in the same statement that bumps `runs.last_seq`,
 * so seq is strictly increasing per run without a separate lock.
 */
export class RunsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Creates a queued run and its first event. An idempotency key holds for `idempotencyTtlHours` (24 by
   * default) from the run that took it: within that time the same key with the same input returns the
   * existing run (`created: false`), and with a different input is a 409 IDEMPOTENCY_KEY_REUSED (a key
   * is a promise that the request is the same one again). Past it, the key is released from the old run
   * (which keeps everything else) and taken by the new one.
   */
  async createQueued(
    workspaceId: string,
    input: {
      automationId: string;
      versionId: string;
      trigger: RunTrigger;
      input: unknown;
      idempotencyKey?: string;
      /** How long the key holds; DEFAULT_IDEMPOTENCY_TTL_HOURS when absent. */
      idempotencyTtlHours?: number;
      /** Where a triggered run came from (stored in runs.trigger_context). */
      triggerContext?: RunTriggerContext;
      /** Who started it: a person or an API key. */
      createdBy?: { kind: 'user' | 'api_key'; id: string };
      /** RUN_PRIORITY.default when absent. */
      priority?: number;
      /** The manifest's limit and the run's line (see runConcurrency in @mendflow/common). */
      concurrency?: { limit: number; key: string } | null;
      /**
       * The caller read `versionId` as the deployed version from a cache: the run is only inserted while
       * it still is, on an active automation (checked in the insert itself, so a cache costs no extra
       * read and can never start a run on a version that was replaced or an automation paused before
       * the statement ran). Otherwise StaleDeploymentError: read the automation again.
       */
      onlyIfDeployed?: boolean;
    },
  ): Promise<{ run: RunRecord; created: boolean }> {
    const key = input.idempotencyKey ?? null;
    const ttlHours = input.idempotencyTtlHours ?? DEFAULT_IDEMPOTENCY_TTL_HOURS;
    if (key !== null) {
      // An expired key is given up by its run first. Racing requests are safe without a transaction:
      // the unique index lets one insert win, and the others then meet that run below.
      await this.db.sql.execute(Prisma.sql`
        UPDATE runs SET idempotency_key = NULL, idempotency_expires_at = NULL
        WHERE workspace_id = ${workspaceId}::uuid AND automation_id = ${input.automationId}::uuid
          AND idempotency_key = ${key} AND idempotency_expires_at <= now()`);
    }
    // One round trip: insert the run and its first event, and read it back as users see it.
    const inserted = await this.db.sql.query<RunRow[]>(Prisma.sql`
      WITH r AS (
        INSERT INTO runs (workspace_id, automation_id, version_id, status, trigger, input, idempotency_key,
                          idempotency_expires_at, trigger_context, last_seq,
                          priority, concurrency_limit, concurrency_key, created_by_kind, created_by)
        SELECT ${workspaceId}::uuid, ${input.automationId}::uuid, ${input.versionId}::uuid, 'queued',
                ${input.trigger}, ${jsonParam(input.input)}::jsonb, ${key},
                CASE WHEN ${key}::text IS NULL THEN NULL ELSE now() + make_interval(secs => ${ttlHours * 3600}::float8) END,
                ${jsonParam(input.triggerContext)}::jsonb, 1,
                ${input.priority ?? RUN_PRIORITY.default}::smallint, ${input.concurrency?.limit ?? null}::int,
                ${input.concurrency?.key ?? null}::text, ${input.createdBy?.kind ?? null}, ${input.createdBy?.id ?? null}
        ${input.onlyIfDeployed ? stillDeployed(workspaceId, input.automationId, input.versionId) : Prisma.empty}
        ON CONFLICT (workspace_id, automation_id, idempotency_key) DO NOTHING
        RETURNING *
      ), e AS (
        INSERT INTO run_events (workspace_id, run_id, seq, type, data)
        SELECT workspace_id, id, 1, 'run.queued', ${JSON.stringify({ trigger: input.trigger })}::jsonb FROM r
      )
      SELECT ${input.concurrency ? RUN_COLUMNS : NEW_RUN_COLUMNS}
      FROM r JOIN automations a ON a.id = r.automation_id JOIN automation_versions v ON v.id = r.version_id`);
    const created = inserted[0];
    if (created) return { run: toRecord(created), created: true };
    if (key === null) {
      throw input.onlyIfDeployed
        ? new StaleDeploymentError(input.automationId)
        : new Error('the run insert returned no row');
    }
    // jsonb equality: the same document however its keys were ordered or spaced when sent.
    const existing = await this.db.$queryRaw<{ id: string; sameInput: boolean }[]>`
      SELECT id, (input IS NOT DISTINCT FROM ${jsonParam(input.input)}::jsonb) AS "sameInput" FROM runs
      WHERE workspace_id = ${workspaceId}::uuid AND automation_id = ${input.automationId}::uuid
        AND idempotency_key = ${key}`;
    const found = existing[0];
    if (!found && input.onlyIfDeployed) throw new StaleDeploymentError(input.automationId);
    if (!found) throw new Error('idempotent insert found neither a new nor an existing run');
    if (!found.sameInput) {
      throw new DomainError(
        ErrorCodes.IDEMPOTENCY_KEY_REUSED,
        'conflict',
        `idempotencyKey: this key started run ${found.id} with a different input; use a new key for a new request`,
        { field: 'idempotencyKey', runId: found.id },
      );
    }
    return { run: await this.get(workspaceId, found.id), created: false };
  }

  async get(workspaceId: string, id: string): Promise<RunRecord> {
    const rows = await this.db.$queryRaw<RunRow[]>`
      SELECT ${RUN_COLUMNS}
      FROM runs r JOIN automations a ON a.id = r.automation_id JOIN automation_versions v ON v.id = r.version_id
      WHERE ${byKeyInWorkspace('id', id, workspaceId, 'r')}`;
    const run = rows[0];
    if (!run) throw runNotFound(id);
    return toRecord(run);
  }

  async list(
    workspaceId: string,
    filters: RunFilters,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: RunRecord[]; nextCursor: string | null }> {
    const conditions = [Prisma.sql`r.workspace_id = ${workspaceId}::uuid`];
    if (filters.status) conditions.push(Prisma.sql`r.status = ${filters.status}`);
    if (filters.trigger) conditions.push(Prisma.sql`r.trigger = ${filters.trigger}`);
    if (filters.automationId) conditions.push(Prisma.sql`r.automation_id = ${filters.automationId}::uuid`);
    if (filters.createdFrom) conditions.push(Prisma.sql`r.created_at >= ${filters.createdFrom}`);
    if (filters.createdTo) conditions.push(Prisma.sql`r.created_at < ${filters.createdTo}`);
    if (filters.failureClass) {
      conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM run_attempts ra WHERE ra.run_id = r.id
        AND ra.number = r.attempt_count AND ra.classification->>'class' = ${filters.failureClass})`);
    }
    if (page.cursor) {
      const after = decodeCursor(page.cursor);
      conditions.push(Prisma.sql`(r.created_at, r.id) < (${after.createdAt}, ${after.id}::uuid)`);
    }
    const found = await this.db.$queryRaw<RunRow[]>`
      SELECT ${RUN_COLUMNS}
      FROM runs r JOIN automations a ON a.id = r.automation_id JOIN automation_versions v ON v.id = r.version_id
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY r.created_at DESC, r.id DESC
      LIMIT ${page.limit + 1}`;
    const rows = found.map(toRecord);
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last) : null };
  }

  /**
   * Whether a run of a schedule other than the one of tick `exceptTick` is not finished yet (overlap
   * 'skip'): the run of the tick itself, found when its job is delivered again, does not count.
   */
  async hasActiveScheduledRun(
    workspaceId: string,
    automationId: string,
    triggerId: string,
    exceptTick: string,
  ): Promise<boolean> {
    const rows = await this.db.$queryRaw<{ found: boolean }[]>`
      SELECT EXISTS (
        SELECT 1 FROM runs
        WHERE workspace_id = ${workspaceId}::uuid AND automation_id = ${automationId}::uuid AND trigger = 'cron'
          AND status = ANY(${[...ACTIVE_RUN_STATUSES]}::text[])
          AND trigger_context->>'triggerId' = ${triggerId}
          AND trigger_context->>'scheduledAt' <> ${exceptTick}
      ) AS found`;
    return rows[0]?.found ?? false;
  }

  /** The latest runs a schedule started, newest tick first. */
  async listScheduled(
    workspaceId: string,
    automationId: string,
    triggerIds: string[],
    perTrigger: number,
  ): Promise<{ id: string; triggerId: string; status: RunStatus; scheduledAt: string; createdAt: Date }[]> {
    if (triggerIds.length === 0) return [];
    return this.db.$queryRaw`
      SELECT x.id, x."triggerId", x.status, x."scheduledAt", x."createdAt" FROM (
        SELECT r.id, r.trigger_context->>'triggerId' AS "triggerId", r.status,
               r.trigger_context->>'scheduledAt' AS "scheduledAt", r.created_at AS "createdAt",
               row_number() OVER (PARTITION BY r.trigger_context->>'triggerId'
                                  ORDER BY r.trigger_context->>'scheduledAt' DESC) AS n
        FROM runs r
        WHERE r.workspace_id = ${workspaceId}::uuid AND r.automation_id = ${automationId}::uuid
          AND r.trigger = 'cron' AND r.trigger_context->>'triggerId' = ANY(${triggerIds}::text[])
      ) x
      WHERE x.n <= ${perTrigger}
      ORDER BY x."triggerId", x."scheduledAt" DESC`;
  }

  async listAttempts(workspaceId: string, runId: string): Promise<AttemptRecord[]> {
    const rows = await this.db.runAttempt.findMany({
      where: { workspaceId, runId },
      orderBy: { number: 'asc' },
      include: { version: { select: { number: true } } },
      omit: { logs: true, recording: true },
    });
    return rows.map((row) => ({
      id: row.id,
      number: row.number,
      versionId: row.versionId,
      versionNumber: row.version.number,
      status: row.status,
      output: row.output,
      error: row.error as RunError | null,
      classification: row.classification,
      cpuMs: row.cpuMs,
      wallMs: row.wallMs,
      memoryBytes: row.memoryBytes === null ? null : Number(row.memoryBytes),
      fetches: row.fetches,
      startedAt: row.startedAt,
      finishedAt: row.finishedAt,
    }));
  }

  /** The log lines of every attempt, oldest first. */
  async listLogs(workspaceId: string, runId: string): Promise<{ attempt: number; logs: unknown }[]> {
    await this.get(workspaceId, runId);
    const rows = await this.db.runAttempt.findMany({
      where: { workspaceId, runId },
      orderBy: { number: 'asc' },
      select: { number: true, logs: true },
    });
    return rows.map((row) => ({ attempt: row.number, logs: row.logs ?? [] }));
  }

  /**
   * One attempt's host calls as the sandbox recorded them (secret values already redacted there); the
   * MCP tools show them to the agent that ran the code. Null when the attempt left none.
   */
  async getRecording(workspaceId: string, runId: string, attempt: number): Promise<unknown> {
    const row = await this.db.runAttempt.findFirst({
      where: { workspaceId, runId, number: attempt },
      select: { recording: true },
    });
    return row?.recording ?? null;
  }

  /** Events after `afterSeq`, in seq order; a client that saw seq N asks for N to catch up without gaps. */
  async listEvents(
    workspaceId: string,
    runId: string,
    afterSeq = 0,
    limit = 1000,
  ): Promise<RunEventRecord[]> {
    await this.get(workspaceId, runId);
    const rows = await this.db.runEvent.findMany({
      where: { workspaceId, runId, seq: { gt: afterSeq } },
      orderBy: { seq: 'asc' },
      take: limit,
    });
    return rows.map((row) => ({
      runId: row.runId,
      workspaceId: row.workspaceId,
      seq: row.seq,
      type: row.type,
      data: row.data,
      createdAt: row.createdAt,
    }));
  }
}
