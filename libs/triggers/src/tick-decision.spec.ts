import { describe, expect, it } from 'vitest';
import { latestTick, MAX_TICK_GRACE_MS, MIN_TICK_GRACE_MS, nextFireTimes, tickGraceMs } from './cron-times';
import {
  catchUpTick,
  decideTick,
  overlapSkips,
  tickConcurrency,
  tickIdempotencyKey,
  tickTimeOf,
} from './tick-decision';

const d = (iso: string) => new Date(iso);
const everySecond = { cron: '* * * * * *', timezone: 'UTC' };
const hourly = { cron: '0 * * * *', timezone: 'UTC' };

describe('fire times', () => {
  it('lists the next fire times strictly after a moment, in the schedule’s time zone', () => {
    expect(nextFireTimes(hourly, d('2026-03-01T10:00:00.000Z'), 2)).toEqual([
      d('2026-03-01T11:00:00.000Z'),
      d('2026-03-01T12:00:00.000Z'),
    ]);
    // 09:00 in Berlin is 08:00 UTC in winter, 07:00 UTC in summer.
    const berlin = { cron: '0 9 * * *', timezone: 'Europe/Berlin' };
    expect(nextFireTimes(berlin, d('2026-03-28T12:00:00Z'), 2)).toEqual([
      d('2026-03-29T07:00:00.000Z'),
      d('2026-03-30T07:00:00.000Z'),
    ]);
  });

  it('finds the latest tick at or before a moment', () => {
    expect(latestTick(hourly, d('2026-03-01T10:00:00.000Z'))).toEqual(d('2026-03-01T10:00:00.000Z'));
    expect(latestTick(hourly, d('2026-03-01T10:59:59.999Z'))).toEqual(d('2026-03-01T10:00:00.000Z'));
  });

  it('gives a tick until the next one to be on time, within 5 s and 60 s', () => {
    expect(tickGraceMs(everySecond, d('2026-03-01T10:00:00Z'))).toBe(MIN_TICK_GRACE_MS);
    expect(tickGraceMs({ cron: '*/30 * * * * *', timezone: 'UTC' }, d('2026-03-01T10:00:00Z'))).toBe(30_000);
    expect(tickGraceMs(hourly, d('2026-03-01T10:00:00Z'))).toBe(MAX_TICK_GRACE_MS);
  });
});

describe('decideTick', () => {
  const tick = d('2026-03-01T10:00:00.000Z');
  const facts = (
    config: Partial<Parameters<typeof decideTick>[0]['config']>,
    lateMs: number,
    lastTickAt: Date | null = null,
  ) =>
    decideTick({
      config: { ...hourly, catchUp: 'none', ...config },
      scheduledAt: tick,
      now: new Date(tick.getTime() + lateMs),
      lastTickAt,
    });

  it('runs an on-time tick (up to its grace late)', () => {
    expect(facts({}, 20)).toEqual({ action: 'run', scheduledAt: tick, catchUp: false });
    expect(facts({}, 60_000)).toEqual({ action: 'run', scheduledAt: tick, catchUp: false });
    // A redelivery of a tick that ran decides the same: its idempotency key keeps it one run.
    expect(facts({}, 500, tick)).toEqual({ action: 'run', scheduledAt: tick, catchUp: false });
  });

  it("skips a missed tick with catchUp 'none': no burst after downtime", () => {
    expect(facts({}, 60_001)).toEqual({ action: 'skip_missed' });
    expect(facts({}, 5 * 3_600_000)).toEqual({ action: 'skip_missed' });
  });

  it("runs the latest tick instead of a missed one with catchUp 'latest', once", () => {
    const later = d('2026-03-01T15:00:00.000Z');
    expect(facts({ catchUp: 'latest' }, 5 * 3_600_000 + 1_000)).toEqual({
      action: 'run',
      scheduledAt: later,
      catchUp: true,
    });
    expect(facts({ catchUp: 'latest' }, 5 * 3_600_000 + 1_000, later)).toEqual({ action: 'ignore' });
  });

  it('is late after 5 s for an every-second schedule', () => {
    expect(
      decideTick({
        config: { ...everySecond, catchUp: 'none' },
        scheduledAt: tick,
        now: new Date(tick.getTime() + 4_999),
        lastTickAt: null,
      }).action,
    ).toBe('run');
    expect(
      decideTick({
        config: { ...everySecond, catchUp: 'none' },
        scheduledAt: tick,
        now: new Date(tick.getTime() + 5_001),
        lastTickAt: null,
      }).action,
    ).toBe('skip_missed');
  });
});

describe('catchUpTick', () => {
  const now = d('2026-03-01T12:30:00.000Z');
  it("finds the most recent tick after the armed time and the last tick, for 'latest' only", () => {
    const trigger = { armedAt: d('2026-03-01T09:10:00Z'), lastTickAt: d('2026-03-01T10:00:00Z') };
    expect(catchUpTick({ ...hourly, catchUp: 'latest' }, trigger, now)).toEqual(
      d('2026-03-01T12:00:00.000Z'),
    );
    expect(catchUpTick({ ...hourly, catchUp: 'none' }, trigger, now)).toBeNull();
  });
  it('finds nothing when the most recent tick ran, or came before the trigger was armed', () => {
    const config = { ...hourly, catchUp: 'latest' as const };
    expect(
      catchUpTick(config, { armedAt: d('2026-03-01T09:10:00Z'), lastTickAt: d('2026-03-01T12:00:00Z') }, now),
    ).toBeNull();
    expect(catchUpTick(config, { armedAt: d('2026-03-01T12:10:00Z'), lastTickAt: null }, now)).toBeNull();
  });
});

describe('overlap, lines and keys', () => {
  it("skips only with 'skip' while a previous run goes", () => {
    expect(overlapSkips('skip', true)).toBe(true);
    expect(overlapSkips('skip', false)).toBe(false);
    expect(overlapSkips('allow', true)).toBe(false);
    expect(overlapSkips('queue', true)).toBe(false);
  });
  it("queues 'queue' runs in the schedule's own line of one, others in the manifest's", () => {
    expect(tickConcurrency('queue', 't1', null)).toEqual({ limit: 1, key: 'schedule:t1' });
    expect(tickConcurrency('skip', 't1', { limit: 3, key: '' })).toEqual({ limit: 3, key: '' });
    expect(tickConcurrency('allow', 't1', null)).toBeNull();
  });
  it('keys a run by its schedule and tick', () => {
    expect(tickIdempotencyKey('t1', d('2026-03-01T10:00:00Z'))).toBe('cron:t1:2026-03-01T10:00:00.000Z');
  });
  it("reads a scheduler job's tick from its id, or its prevMillis", () => {
    const millis = Date.parse('2026-03-01T10:00:00Z');
    expect(tickTimeOf({ id: `repeat:cron:abc-def:${millis}` })).toEqual(new Date(millis));
    expect(tickTimeOf({ id: 'something-else', opts: { prevMillis: millis } })).toEqual(new Date(millis));
    expect(tickTimeOf({ id: 'something-else', opts: {} })).toBeNull();
  });
});
