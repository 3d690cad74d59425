import { describe, expect, it } from 'vitest';
import { JOB_CATALOG, parseJob } from './catalog';
import { jobTraceContext } from './trace-context';

const ids = {
  runId: '00000000-0000-4000-8000-000000000001',
  workspaceId: '00000000-0000-4000-8000-000000000002',
  automationId: '00000000-0000-4000-8000-000000000003',
  repairId: '00000000-0000-4000-8000-000000000004',
};
const traceparent = `00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-${'00f067aa0ba902b7'}-01`;

describe('the trace field of job data', () => {
  it('accepts a W3C traceparent with an optional tracestate', () => {
    expect(jobTraceContext.parse({ traceparent })).toEqual({ traceparent });
    expect(jobTraceContext.parse({ traceparent, tracestate: 'congo=t61rcWkgMzE' })).toEqual({
      traceparent,
      tracestate: 'congo=t61rcWkgMzE',
    });
  });

  it('refuses a malformed traceparent, a tracestate over 512 characters and unknown keys', () => {
    for (const bad of [
      '',
      traceparent.toUpperCase(),
      traceparent.slice(0, -1),
      `00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-${'00f067aa0ba902b7'}-01-extra`,
      `00_${'4bf92f3577b34da6a3ce929d0e0e4736'}_${'00f067aa0ba902b7'}_01`,
    ]) {
      expect(jobTraceContext.safeParse({ traceparent: bad }).success, bad).toBe(false);
    }
    expect(jobTraceContext.safeParse({ traceparent, tracestate: 'a'.repeat(513) }).success).toBe(false);
    expect(jobTraceContext.safeParse({ traceparent, baggage: 'user=x' }).success).toBe(false);
    expect(jobTraceContext.safeParse({}).success).toBe(false);
  });

  it('is optional in every job a producer enqueues, kept when given and validated', () => {
    const payloads = {
      'run.attempt': {
        runId: ids.runId,
        workspaceId: ids.workspaceId,
        automationId: ids.automationId,
        attempt: 1,
      },
      'run.wake': { runId: ids.runId, workspaceId: ids.workspaceId, attempt: 1 },
      'repair.propose': { repairId: ids.repairId, workspaceId: ids.workspaceId },
      'notification.dispatch': { workspaceId: ids.workspaceId, topic: 'run.failed', subjectId: ids.runId },
      'notification.deliver': { workspaceId: ids.workspaceId, deliveryId: ids.repairId },
    } as const;
    for (const [name, payload] of Object.entries(payloads) as [keyof typeof payloads, object][]) {
      const options = { priority: 0 };
      // Without the field (tracing off, or a job queued before it existed) the data is unchanged.
      expect(JOB_CATALOG[name].build(payload as never, options).data, name).toEqual(payload);
      expect(parseJob(name, payload), name).toEqual(payload);
      const traced = { ...payload, trace: { traceparent } };
      expect(JOB_CATALOG[name].build(traced as never, options).data, name).toEqual(traced);
      expect(parseJob(name, traced), name).toEqual(traced);
      expect(() => parseJob(name, { ...payload, trace: { traceparent: 'nope' } }), name).toThrow();
    }
  });
});
