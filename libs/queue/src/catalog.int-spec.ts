import { randomUUID } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { inSpan } from '@mendflow/telemetry';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { JobQueues } from './catalog';
import { QueueNames, runJobId, runJobPayload } from './jobs';
import { redisConnection } from './redis';
import { testRedis } from './testing/test-redis';

// Real Redis (BullMQ), in a queue under a prefix of its own, removed at the end.
const { redisUrl, prefix } = testRedis(14, 'catalog-trace');
const connection = redisConnection(redisUrl);
const queue = new Queue(QueueNames.runs, { connection, prefix });
const jobs = new JobQueues({ [QueueNames.runs]: queue });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
});

const newJob = () => ({
  runId: randomUUID(),
  workspaceId: randomUUID(),
  automationId: randomUUID(),
  attempt: 1,
});

describe('JobQueues.enqueue and the trace context (BullMQ in Redis)', () => {
  // In this order: tracing is off until the second test installs it, as at a process's start.
  it('adds no trace field while tracing is off', async () => {
    const payload = newJob();
    await jobs.enqueue('run.attempt', payload, { priority: 0 });
    const job = await queue.getJob(runJobId(payload));
    expect(job?.data).toEqual(payload);
  });

  it('with tracing on, stores the context of its publish span, a child of the caller span', async () => {
    const exporter = new InMemorySpanExporter();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
    const payload = newJob();
    await context.with(ROOT_CONTEXT, () =>
      inSpan('run.create', {}, () => jobs.enqueue('run.attempt', payload, { priority: 0 })),
    );
    const stored = (await queue.getJob(runJobId(payload)))?.data as unknown;
    // What the worker parses: the catalog's own schema, the trace field included.
    const parsed = runJobPayload.parse(stored);
    const spans = exporter.getFinishedSpans();
    const publish = spans.find((s) => s.name === 'publish runs')!;
    const create = spans.find((s) => s.name === 'run.create')!;
    expect(parsed.trace).toEqual({
      traceparent: `00-${publish.spanContext().traceId}-${publish.spanContext().spanId}-01`,
    });
    expect(publish.parentSpanContext?.spanId).toBe(create.spanContext().spanId);
    expect(publish.kind).toBe(3 /* PRODUCER */);
    expect(publish.attributes).toMatchObject({
      'messaging.destination.name': 'runs',
      'messaging.message.id': runJobId(payload),
      'mendflow.job.name': 'run.attempt',
      'mendflow.run.id': payload.runId,
      'mendflow.workspace.id': payload.workspaceId,
      'mendflow.automation.id': payload.automationId,
      'mendflow.run.attempt': 1,
    });
  });
});
