/**
 * W3C trace context in a job's data: the producer injects the active context (its publish span) into
 * the payload, the consumer extracts it, so one trace follows a run from the HTTP request through the
 * queue to the worker. With tracing off nothing is injected (the no-op propagator writes nothing) and
 * the payload has no trace field.
 */
import { type Context, context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';

/** The carrier kept in job data: the W3C headers, by their header names. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/** The active (or given) context as a carrier; undefined when there is nothing to carry. */
export function injectTraceContext(from: Context = context.active()): TraceCarrier | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  const { traceparent, tracestate } = carrier;
  if (!traceparent) return undefined;
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** The context a carrier holds, as the parent of the consumer's span (the root context without one). */
export function extractTraceContext(carrier: TraceCarrier | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}
