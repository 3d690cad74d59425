import { z } from 'zod';
import { RUN_STATUSES, RUN_TRIGGERS } from '../run-lifecycle';
import { SCRIPT_LANGUAGES } from '../script-language';
import { isoDateTime, jsonValue, listOf, nullableDateTime, pageOf } from './common';

/** A run's error as users see it (RunError in run-error.ts). */
export const runErrorSchema = z
  .object({
    name: z.string(),
    message: z.string(),
    location: z.string().optional(),
    stack: z.string().optional(),
    code: z.string().optional(),
    limit: z.string().optional(),
  })
  .meta({ id: 'RunError' });

/** Why a run that is not moving waits: a concurrency slot, a person's approval, or a wake-up time. */
export const runWaitingForSchema = z
  .looseObject({ kind: z.enum(['slot', 'approval', 'sleep']) })
  .meta({ id: 'RunWaitingFor' });

const runSummaryFields = {
  id: z.uuid(),
  automationId: z.uuid(),
  automationName: z.string(),
  versionId: z.uuid(),
  versionNumber: z.int(),
  status: z.enum(RUN_STATUSES),
  trigger: z.enum(RUN_TRIGGERS),
  triggerContext: jsonValue,
  attemptCount: z.int(),
  priority: z.int(),
  waitingFor: runWaitingForSchema.nullable(),
  nextAttemptAt: nullableDateTime,
  createdAt: isoDateTime,
  startedAt: nullableDateTime,
  finishedAt: nullableDateTime,
};

export const runSummarySchema = z
  .object({
    ...runSummaryFields,
    error: z.object({ name: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'RunSummary' });
export const runPageSchema = pageOf(runSummarySchema).meta({ id: 'RunPage' });

export const attemptSchema = z
  .object({
    number: z.int(),
    versionNumber: z.int(),
    status: z.string(),
    output: jsonValue,
    error: runErrorSchema.nullable(),
    /** How the attempt failed (libs/failure: its class and evidence), null when it did not. */
    classification: jsonValue,
    cost: z.object({
      cpuMs: z.number().nullable(),
      wallMs: z.number().nullable(),
      memoryBytes: z.number().nullable(),
      fetches: z.number().nullable(),
    }),
    startedAt: isoDateTime,
    finishedAt: nullableDateTime,
  })
  .meta({ id: 'Attempt' });

export const runSchema = z
  .object({
    ...runSummaryFields,
    input: jsonValue,
    output: jsonValue,
    error: runErrorSchema.nullable(),
    idempotencyKey: z.string().nullable(),
    /** Present when the run is read one at a time (GET, cancel, retry), absent right after a start. */
    attempts: z.array(attemptSchema).optional(),
    /** An exploration run's snippet (MCP execute): its automation is hidden, so the run carries its code. */
    exploration: z
      .object({ source: z.string(), language: z.enum(SCRIPT_LANGUAGES), manifest: jsonValue })
      .meta({ id: 'ExplorationSnippet' })
      .optional(),
  })
  .meta({ id: 'Run' });

export const runEventSchema = z
  .object({ seq: z.int(), type: z.string(), data: jsonValue, createdAt: isoDateTime })
  .meta({ id: 'RunEvent' });
export const runEventListSchema = listOf(runEventSchema).meta({ id: 'RunEventList' });

/** One line a script logged (ctx.log or console), as the worker stored it (LogEntry in libs/sandbox). */
export const runLogLineSchema = z
  .object({
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: z.string(),
    data: z.unknown().optional(),
    /** Milliseconds since the attempt started. */
    t: z.number(),
  })
  .meta({ id: 'RunLogLine' });
/** The lines of each attempt, in attempt order. */
export const attemptLogsSchema = z
  .object({ attempt: z.int(), logs: z.array(runLogLineSchema) })
  .meta({ id: 'AttemptLogs' });
export const runLogListSchema = listOf(attemptLogsSchema).meta({ id: 'RunLogList' });
