import { createServer } from 'node:http';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { injectTraceContext } from './job-context';
import { shutdownTelemetry, startTelemetry, telemetryEnabled } from './setup';
import { inSpan } from './spans';

// A real OTLP/HTTP receiver on a free port: what the exporter sends is what a collector would get.
const bodies: { url?: string; type?: string; body: string }[] = [];
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', () => {
    bodies.push({ url: request.url, type: request.headers['content-type'], body });
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

describe('startTelemetry with an OTLP endpoint', () => {
  it('records spans, propagates W3C context, and exports OTLP JSON to /v1/traces at shutdown', async () => {
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const { port } = receiver.address() as { port: number };
    // As a deployment sets them (this file runs in a process of its own).
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '60000',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    });
    const handle = startTelemetry({ serviceName: 'mendflow-test' });
    expect(handle.enabled).toBe(true);
    expect(telemetryEnabled()).toBe(true);
    let traceId = '';
    await inSpan('outer', {}, async (span) => {
      expect(span.isRecording()).toBe(true);
      traceId = span.spanContext().traceId;
      expect(injectTraceContext()?.traceparent).toBe(`00-${traceId}-${span.spanContext().spanId}-01`);
      // Awaited work stays in the span's context (the AsyncLocalStorage context manager).
      await new Promise((resolve) => setTimeout(resolve, 1));
      await inSpan('inner', {}, async () => undefined);
    });
    // The schedule delay is a minute: only the shutdown's flush can have sent them.
    await shutdownTelemetry();
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ url: '/v1/traces', type: 'application/json' });
    const sent = JSON.parse(bodies[0]!.body) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: { name: string; traceId: string; spanId: string; parentSpanId?: string }[] }[];
      }[];
    };
    const resource = Object.fromEntries(
      sent.resourceSpans[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]),
    );
    expect(resource).toMatchObject({
      'service.name': 'mendflow-test',
      'deployment.environment.name': 'test',
    });
    const spans = sent.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const outer = spans.find((s) => s.name === 'outer')!;
    const inner = spans.find((s) => s.name === 'inner')!;
    expect(outer.traceId).toBe(traceId);
    expect(inner.parentSpanId).toBe(outer.spanId);
    // A second start is the same handle; a second shutdown sends nothing more.
    expect(startTelemetry({ serviceName: 'other' })).toBe(handle);
    await shutdownTelemetry();
    expect(bodies).toHaveLength(1);
  });
});
