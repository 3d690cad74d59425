import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import type { Page, RunDetail, RunEvent, RunSummary } from './api';
import { queryKeys } from './query-keys';
import { applyRunEvent, applyRunStatus, contiguousSeq, mergeEvents, statusFromEvents } from './run-cache';

const RUN = 'run-1';
const at = '2030-01-01T00:00:00.000Z';

function run(status: RunSummary['status'], extra: Partial<RunDetail> = {}): RunDetail {
  return {
    id: RUN,
    automationId: 'a',
    automationName: 'A',
    versionId: 'v',
    versionNumber: 1,
    status,
    trigger: 'manual',
    attemptCount: 1,
    priority: 0,
    waitingFor: null,
    triggerContext: null,
    error: null,
    nextAttemptAt: null,
    createdAt: at,
    startedAt: at,
    finishedAt: null,
    input: {},
    output: null,
    idempotencyKey: null,
    ...extra,
  };
}

function event(seq: number, type: string, data: Record<string, unknown>): { runId: string } & RunEvent {
  return { runId: RUN, seq, type, data, createdAt: at };
}

function cacheWith(status: RunSummary['status'], events: RunEvent[]): QueryClient {
  const client = new QueryClient();
  client.setQueryData(queryKeys.runs.detail(RUN), run(status));
  client.setQueryData(queryKeys.runs.events(RUN), events);
  client.setQueryData<Page<RunSummary>>(queryKeys.runs.list({ limit: 10 }), {
    items: [run(status), { ...run('succeeded'), id: 'other' }],
    nextCursor: null,
  });
  client.setQueryData(['runs', 'list', { limit: 25 }, 'pages'], {
    pages: [{ items: [run(status)], nextCursor: null }],
    pageParams: [undefined],
  });
  return client;
}

const statuses = (client: QueryClient) => ({
  detail: client.getQueryData<RunDetail>(queryKeys.runs.detail(RUN))?.status,
  list: client.getQueryData<Page<RunSummary>>(queryKeys.runs.list({ limit: 10 }))?.items[0]?.status,
  pages: client.getQueryData<{ pages: Page<RunSummary>[] }>(['runs', 'list', { limit: 25 }, 'pages'])
    ?.pages[0]?.items[0]?.status,
  timeline: statusFromEvents(client.getQueryData<RunEvent[]>(queryKeys.runs.events(RUN))),
});

const failure = {
  attempt: 1,
  error: { name: 'TypeError', message: 'x is undefined' },
  classification: { class: 'logic', reason: 'a bug' },
};

describe('applyRunEvent', () => {
  it('appends to the run events, once per seq, and sets the status everywhere the run is cached', () => {
    const client = cacheWith('queued', [{ seq: 1, type: 'run.queued', data: {}, createdAt: at }]);
    const effect = applyRunEvent(client, event(2, 'run.running', { attempt: 1 }));
    applyRunEvent(client, event(2, 'run.running', { attempt: 1 })); // a duplicate changes nothing
    expect(client.getQueryData<RunEvent[]>(queryKeys.runs.events(RUN))?.map((e) => e.seq)).toEqual([1, 2]);
    expect(statuses(client)).toEqual({
      detail: 'running',
      list: 'running',
      pages: 'running',
      timeline: 'running',
    });
    expect(effect).toEqual({ status: 'running', refreshDetails: true });
    // Other runs in the same list are left alone.
    expect(client.getQueryData<Page<RunSummary>>(queryKeys.runs.list({ limit: 10 }))?.items[1]?.status).toBe(
      'succeeded',
    );
  });

  it('shows Queued after repair.deployed (it used to stay "Repairing")', () => {
    const client = cacheWith('repairing', [
      { seq: 1, type: 'run.queued', data: {}, createdAt: at },
      { seq: 2, type: 'run.running', data: { attempt: 1 }, createdAt: at },
      { seq: 3, type: 'run.repairing', data: { ...failure, repairId: 'r', provider: 'p' }, createdAt: at },
    ]);
    applyRunEvent(client, event(4, 'repair.proposed', { repairId: 'r', provider: 'p' }));
    expect(statuses(client).detail).toBe('repairing');
    applyRunEvent(client, event(5, 'repair.deployed', { repairId: 'r', version: 2 }));
    expect(statuses(client)).toEqual({
      detail: 'queued',
      list: 'queued',
      pages: 'queued',
      timeline: 'queued',
    });
  });

  it('shows Queued after attempt.abandoned (it used to stay "Running")', () => {
    const client = cacheWith('running', [
      { seq: 1, type: 'run.queued', data: {}, createdAt: at },
      { seq: 2, type: 'run.running', data: { attempt: 1 }, createdAt: at },
    ]);
    const effect = applyRunEvent(
      client,
      event(3, 'attempt.abandoned', { attempt: 1, reason: 'worker shut down' }),
    );
    expect(statuses(client)).toEqual({
      detail: 'queued',
      list: 'queued',
      pages: 'queued',
      timeline: 'queued',
    });
    expect(effect.refreshDetails).toBe(true);
  });

  it('records what a waiting run waits for, and clears it when the run moves on', () => {
    const client = cacheWith('running', []);
    applyRunEvent(
      client,
      event(3, 'run.waiting', {
        attempt: 1,
        kind: 'approval',
        until: at,
        title: 'Send invoice',
        inboxItemId: 'i1',
      }),
    );
    expect(client.getQueryData<RunDetail>(queryKeys.runs.detail(RUN))?.waitingFor).toEqual({
      kind: 'approval',
      inboxItemId: 'i1',
      title: 'Send invoice',
      expiresAt: at,
    });
    applyRunEvent(client, event(5, 'run.running', { attempt: 2 }));
    const detail = client.getQueryData<RunDetail>(queryKeys.runs.detail(RUN));
    expect(detail?.waitingFor).toBeNull();
    expect(detail?.attemptCount).toBe(2);
  });

  it('leaves uncached runs alone and notes progress events without a status', () => {
    const client = new QueryClient();
    expect(applyRunEvent(client, event(1, 'repair.proposed', { repairId: 'r', provider: 'p' }))).toEqual({
      status: null,
      refreshDetails: false,
    });
    expect(client.getQueryData(queryKeys.runs.events(RUN))).toBeUndefined();
  });

  it('run.status sets the status the same way', () => {
    const client = cacheWith('running', []);
    applyRunStatus(client, { runId: RUN, status: 'succeeded' });
    expect(statuses(client)).toMatchObject({ detail: 'succeeded', list: 'succeeded', pages: 'succeeded' });
  });
});

describe('events by seq', () => {
  it('merges in order without duplicates and finds the gap-free prefix', () => {
    const e = (seq: number): RunEvent => ({ seq, type: 'x', data: null, createdAt: at });
    const held = [e(1), e(2)];
    expect(mergeEvents(held, [e(2)])).toBe(held);
    expect(mergeEvents(held, [e(4), e(3)]).map((x) => x.seq)).toEqual([1, 2, 3, 4]);
    expect(contiguousSeq([e(1), e(2), e(4)])).toBe(2);
    expect(contiguousSeq(undefined)).toBe(0);
  });
});
