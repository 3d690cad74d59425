import type { CronTriggerConfig } from '@mendflow/common';
import { CronExpressionParser } from 'cron-parser';

type Schedule = Pick<CronTriggerConfig, 'cron' | 'timezone'>;

/**
 * The shortest and longest a tick may be late and still run as an on-time tick (see `tickGraceMs`):
 * below the floor, a busy worker or a slow machine would turn a one-second schedule's ticks into
 * missed ones; past the ceiling, a tick is missed whatever its schedule.
 */
export const MIN_TICK_GRACE_MS = 5_000;
export const MAX_TICK_GRACE_MS = 60_000;

// The same parser (and version) BullMQ's job schedulers use, with the same options: the times here
// are the times the schedulers fire.
function parse(schedule: Schedule, from: Date) {
  return CronExpressionParser.parse(schedule.cron, { currentDate: from, tz: schedule.timezone });
}

/** The schedule's next `count` fire times strictly after `from`. */
export function nextFireTimes(schedule: Schedule, from: Date, count: number): Date[] {
  const expression = parse(schedule, from);
  return Array.from({ length: count }, () => expression.next().toDate());
}

/** The schedule's latest fire time at or before `at`. */
export function latestTick(schedule: Schedule, at: Date): Date {
  // prev() is strictly before its start: start one millisecond later so a tick exactly at `at` counts.
  return parse(schedule, new Date(at.getTime() + 1))
    .prev()
    .toDate();
}

/**
 * How late a tick may start and still be an on-time tick: until the schedule's following tick, but
 * never less than MIN_TICK_GRACE_MS and never more than MAX_TICK_GRACE_MS. Later than that, the tick
 * was missed (Mendflow, Redis or every worker was down or stuck) and its trigger's catchUp decides.
 */
export function tickGraceMs(schedule: Schedule, scheduledAt: Date): number {
  const [following] = nextFireTimes(schedule, scheduledAt, 1);
  const interval = following ? following.getTime() - scheduledAt.getTime() : MAX_TICK_GRACE_MS;
  return Math.min(MAX_TICK_GRACE_MS, Math.max(MIN_TICK_GRACE_MS, interval));
}
