/**
 * Mendflow's spans: one tracer, the attribute names every span of a run carries, and `inSpan`, which
 * runs a function in a new active span and ends it however the function ends. With tracing off the
 * tracer is @opentelemetry/api's no-op one: `inSpan` then costs a non-recording span and a call.
 *
 * Attributes name things (ids, counts, status codes, a secret's *name*), never values: no secret, no
 * script input or output, no kv value, no SQL parameter, no URL query.
 */
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { extractTraceContext, type TraceCarrier } from './job-context';

export const tracer = trace.getTracer('mendflow');

/** The attributes that tie a span to a run (see docs/operations.md "Tracing"). */
export const ATTR = {
  workspaceId: 'mendflow.workspace.id',
  automationId: 'mendflow.automation.id',
  runId: 'mendflow.run.id',
  attempt: 'mendflow.run.attempt',
  repairId: 'mendflow.repair.id',
  secretName: 'mendflow.secret.name',
  eventSeq: 'mendflow.run.event.seq',
  eventType: 'mendflow.run.event.type',
} as const;

export interface RunRef {
  workspaceId?: string;
  automationId?: string;
  runId?: string;
  attempt?: number;
}

/** The run attributes of what is known (undefined ones left out). */
export function runAttributes(ref: RunRef): Attributes {
  const attributes: Attributes = {};
  if (ref.workspaceId !== undefined) attributes[ATTR.workspaceId] = ref.workspaceId;
  if (ref.automationId !== undefined) attributes[ATTR.automationId] = ref.automationId;
  if (ref.runId !== undefined) attributes[ATTR.runId] = ref.runId;
  if (ref.attempt !== undefined) attributes[ATTR.attempt] = ref.attempt;
  return attributes;
}

/** Marks a span failed with the error's name only: messages can quote script data. */
export function recordFailure(span: Span, error: unknown): void {
  const name = error instanceof Error ? error.name : typeof error;
  span.setStatus({ code: SpanStatusCode.ERROR, message: name });
  span.setAttribute('error.type', name);
}

/**
 * Runs `fn` in a new span, active for everything it awaits; `parent` overrides the active context
 * (work resumed from a callback that lost it, a job carrying its producer's context).
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * A job's processing as a CONSUMER span ("process <queue>"), the child of the producer's publish span
 * whose context the job carries (a new trace without one: a job scheduler's job, tracing off then).
 */
export function inConsumerSpan<T>(
  queue: string,
  job: { id?: string; name: string },
  carrier: TraceCarrier | undefined,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return inSpan(
    `process ${queue}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'bullmq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': queue,
        'mendflow.job.name': job.name,
        ...(job.id !== undefined && { 'messaging.message.id': job.id }),
        ...attributes,
      },
    },
    fn,
    extractTraceContext(carrier),
  );
}
