import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { extractTraceContext, injectTraceContext } from './job-context';
import { inSpan, tracer } from './spans';

// Globals, as in a process: the "off" cases run first, then tracing is installed once (the module's
// tracer keeps the first provider it delegated to, as it would in production).
const exporter = new InMemorySpanExporter();
function installTracing() {
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
}

describe('trace context in job data, with tracing off (the @opentelemetry/api no-ops)', () => {
  it('injects nothing, extracts the root context, and spans record nothing', async () => {
    expect(injectTraceContext()).toBeUndefined();
    await inSpan('work', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(injectTraceContext()).toBeUndefined();
    });
    expect(extractTraceContext(undefined)).toBe(ROOT_CONTEXT);
    // A carrier from a producer that traces still parses into a (remote) parent.
    const parent = extractTraceContext({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` });
    expect(trace.getSpanContext(parent)).toBeUndefined();
  });
});

describe('trace context in job data, with tracing on', () => {
  beforeAll(installTracing);
  beforeEach(() => exporter.reset());

  it('injects the active span as a W3C traceparent that extracts to the same span context', async () => {
    let carrier: ReturnType<typeof injectTraceContext>;
    let producer: { traceId: string; spanId: string } | undefined;
    await inSpan('publish', {}, async (span) => {
      producer = span.spanContext();
      carrier = injectTraceContext();
    });
    expect(carrier).toEqual({ traceparent: `00-${producer!.traceId}-${producer!.spanId}-01` });
    const remote = trace.getSpanContext(extractTraceContext(carrier));
    expect(remote).toMatchObject({ traceId: producer!.traceId, spanId: producer!.spanId, isRemote: true });
  });

  it('makes the consumer span a child of the producer span, across an async boundary', async () => {
    const carrier = await inSpan('publish runs', {}, async () => injectTraceContext());
    // A consumer starts from nothing (a BullMQ callback): only the carrier links it to the producer.
    await context.with(ROOT_CONTEXT, () =>
      inSpan('process runs', {}, async () => tracer.startSpan('inner').end(), extractTraceContext(carrier)),
    );
    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((s) => [s.name, s]));
    const publish = byName.get('publish runs')!;
    const consume = byName.get('process runs')!;
    const inner = byName.get('inner')!;
    expect(consume.spanContext().traceId).toBe(publish.spanContext().traceId);
    expect(consume.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(inner.parentSpanContext?.spanId).toBe(consume.spanContext().spanId);
  });

  it('carries tracestate when the context has one, and ends a failing span as an error', async () => {
    const parent = propagation.extract(ROOT_CONTEXT, {
      traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`,
      tracestate: 'vendor=abc',
    });
    const carrier = await inSpan('publish', {}, async () => injectTraceContext(), parent);
    expect(carrier?.tracestate).toBe('vendor=abc');
    expect(carrier?.traceparent.startsWith(`00-${'1'.repeat(32)}-`)).toBe(true);
    await expect(
      inSpan('fails', {}, async () => {
        throw new TypeError('the message may quote script data');
      }),
    ).rejects.toThrow(TypeError);
    const failed = exporter.getFinishedSpans().find((s) => s.name === 'fails')!;
    expect(failed.status).toEqual({ code: 2, message: 'TypeError' });
    expect(JSON.stringify(failed.attributes)).not.toContain('script data');
  });
});
