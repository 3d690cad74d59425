/**
 * The run event catalog: every entry a run's timeline can hold, with a schema for its data and the run
 * status it implies. Producers (the engine) build events with `runEvent()`, which checks the data;
 * readers (the API, the dashboard) parse stored or streamed events with `parseRunEvent()` and read the
 * status from `statusAfter()` instead of guessing from the type's name.
 *
 * Schemas are loose objects: an event stored by an older version may carry fields this one does not
 * know, and reading it must still succeed (and keep them).
 */
import './zod-config';
import { z } from 'zod';
import { INBOX_ACTIONS, INBOX_KINDS } from './inbox';
import { FAILURE_CLASSES } from './failure';
import { RUN_COMMANDS, RUN_TRIGGERS, type RunStatus } from './run-lifecycle';

const attempt = z.int().min(1);
const cost = { wallMs: z.number().optional(), cpuMs: z.number().optional(), fetches: z.int().optional() };
const failure = {
  attempt,
  error: z.looseObject({ name: z.string(), message: z.string() }),
  classification: z.looseObject({ class: z.enum(FAILURE_CLASSES), reason: z.string() }),
  ...cost,
};
/** Who did it: a person's user id, or null for an API key or the system. */
const by = z.string().nullable().optional();
const caps = z.object({ maxFetches: z.int().min(0).optional(), hosts: z.array(z.string()).optional() });

export const WAIT_KINDS = ['approval', 'sleep'] as const;
export type WaitKind = (typeof WAIT_KINDS)[number];

export const RUN_EVENT_SCHEMAS = {
  'run.queued': z.looseObject({
    trigger: z.enum(RUN_TRIGGERS).optional(),
    by,
    reason: z.string().optional(),
    version: z.int().optional(),
    priority: z.int().optional(),
  }),
  'run.running': z.looseObject({ attempt }),
  'run.succeeded': z.looseObject({ attempt, ...cost }),
  'run.retry_scheduled': z.looseObject({
    ...failure,
    delayMs: z.number(),
    nextAttemptAt: z.string(),
  }),
  'run.repairing': z.looseObject({ ...failure, repairId: z.string(), provider: z.string() }),
  'run.action_needed': z.looseObject({
    attempt: attempt.optional(),
    error: failure.error.optional(),
    classification: failure.classification.optional(),
    inboxKind: z.enum(INBOX_KINDS),
    title: z.string(),
    reason: z.string().optional(),
    repairId: z.string().optional(),
    lostAttempts: z.int().optional(),
  }),
  'run.waiting': z.looseObject({
    attempt,
    kind: z.enum(WAIT_KINDS),
    /** ISO 8601: when a sleep ends, or when an approval request expires. */
    until: z.string(),
    title: z.string().optional(),
    inboxItemId: z.string().optional(),
    caps: caps.optional(),
  }),
  'run.resumed': z.looseObject({
    kind: z.enum(WAIT_KINDS),
    approved: z.boolean().optional(),
    expired: z.boolean().optional(),
    by,
    comment: z.string().optional(),
  }),
  'run.failed': z.looseObject({ by, reason: z.string() }),
  'run.cancelled': z.looseObject({ by, reason: z.string().optional() }),
  'attempt.abandoned': z.looseObject({ attempt, reason: z.string() }),
  'repair.proposed': z.looseObject({
    repairId: z.string(),
    provider: z.string(),
    model: z.string().nullable().optional(),
    explanation: z.string().optional(),
    tokens: z.number().optional(),
  }),
  'repair.validated': z.looseObject({
    repairId: z.string(),
    passed: z.boolean(),
    reason: z.string().nullable().optional(),
    lintOk: z.boolean().optional(),
    failingReplay: z.string().optional(),
    regressionsChecked: z.int().optional(),
    regressionsBroken: z.int().optional(),
  }),
  'repair.deployed': z.looseObject({
    repairId: z.string(),
    version: z.int(),
    approvedBy: z.string().optional(),
    resumes: z.boolean().optional(),
  }),
  'inbox.resolved': z.looseObject({
    inboxItemId: z.string(),
    kind: z.enum(INBOX_KINDS),
    action: z.enum([...INBOX_ACTIONS, 'expire']),
    by,
    comment: z.string().optional(),
  }),
} as const;

export type RunEventType = keyof typeof RUN_EVENT_SCHEMAS;
export const RUN_EVENT_TYPES = Object.keys(RUN_EVENT_SCHEMAS) as RunEventType[];
export type RunEventData<T extends RunEventType> = z.input<(typeof RUN_EVENT_SCHEMAS)[T]>;

/** A catalog event without its place in a timeline: what a command appends. */
export type RunEventDraft = { [T in RunEventType]: { type: T; data: RunEventData<T> } }[RunEventType];

/** The status an event moves its run to; events absent here note progress without changing it. */
const STATUS_AFTER: Partial<Record<RunEventType, RunStatus>> = Object.fromEntries(
  Object.values(RUN_COMMANDS).map((command) => [command.event, command.to]),
);

/** The run's status right after this event, or null when the event does not change it. */
export function statusAfter(type: string): RunStatus | null {
  return STATUS_AFTER[type as RunEventType] ?? null;
}

export function isRunEventType(type: string): type is RunEventType {
  return Object.hasOwn(RUN_EVENT_SCHEMAS, type);
}

/** Builds an event for a command, checking its data against the catalog (a producer bug throws). */
export function runEvent<T extends RunEventType>(type: T, data: RunEventData<T>): RunEventDraft {
  RUN_EVENT_SCHEMAS[type].parse(data);
  return { type, data } as RunEventDraft;
}

export type ParsedRunEvent =
  | { known: true; type: RunEventType; data: Record<string, unknown> }
  | { known: false; type: string; data: unknown };

/**
 * Reads an event as stored or streamed. An unknown type (written by a newer version) or data that does
 * not fit its schema is returned as unknown rather than thrown: a timeline must always render.
 */
export function parseRunEvent(event: { type: string; data: unknown }): ParsedRunEvent {
  if (!isRunEventType(event.type)) return { known: false, type: event.type, data: event.data };
  const parsed = RUN_EVENT_SCHEMAS[event.type].safeParse(event.data);
  return parsed.success
    ? { known: true, type: event.type, data: parsed.data as Record<string, unknown> }
    : { known: false, type: event.type, data: event.data };
}
