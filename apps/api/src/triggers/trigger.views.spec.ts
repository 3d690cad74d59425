import type { TriggerRecord } from '@mendflow/db';
import { describe, expect, it } from 'vitest';
import { triggerView } from './trigger.views';

const base = {
  workspaceId: 'w',
  automationId: 'a',
  key: 'k',
  armedAt: new Date('2026-03-01T09:00:00Z'),
  lastTickAt: null,
  lastRunId: null,
  lastTickOutcome: null,
  eventName: null,
} satisfies Partial<TriggerRecord>;

describe('triggerView', () => {
  const now = new Date('2026-03-01T10:20:00Z');
  const lastRuns = [
    { id: 'r1', status: 'succeeded', scheduledAt: '2026-03-01T10:00:00.000Z', createdAt: 'x' },
  ];

  it('gives a schedule its next five fire times and its last runs', () => {
    const view = triggerView(
      {
        ...base,
        id: 't1',
        kind: 'cron',
        config: { type: 'cron', cron: '0 * * * *', timezone: 'UTC', catchUp: 'none', overlap: 'skip' },
      },
      { now, scheduledRuns: new Map([['t1', lastRuns]]) },
    );
    expect(view.nextFireTimes).toEqual([
      '2026-03-01T11:00:00.000Z',
      '2026-03-01T12:00:00.000Z',
      '2026-03-01T13:00:00.000Z',
      '2026-03-01T14:00:00.000Z',
      '2026-03-01T15:00:00.000Z',
    ]);
    expect(view.lastRuns).toEqual(lastRuns);
    expect(view).toMatchObject({
      id: 't1',
      kind: 'cron',
      armedAt: '2026-03-01T09:00:00.000Z',
      lastTickAt: null,
    });
  });

  it('answers the same fields, empty, for other kinds', () => {
    const view = triggerView(
      {
        ...base,
        id: 't2',
        kind: 'event',
        eventName: 'order.created',
        config: { type: 'event', name: 'order.created' },
      },
      { now, scheduledRuns: new Map([['t2', lastRuns]]) },
    );
    expect(view).toMatchObject({
      kind: 'event',
      eventName: 'order.created',
      nextFireTimes: [],
      lastRuns: [],
    });
  });
});
