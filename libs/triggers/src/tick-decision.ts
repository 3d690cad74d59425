import type { CronTriggerConfig } from '@mendflow/common';
import { latestTick, tickGraceMs } from './cron-times';

/** What one tick of a schedule does. */
export type TickDecision =
  /** Create the run of tick `scheduledAt` (its own time, or the latest missed tick on catch-up). */
  | { action: 'run'; scheduledAt: Date; catchUp: boolean }
  /** Create nothing; the tick is recorded with this outcome. */
  | { action: 'skip'; outcome: 'skipped_missed' | 'skipped_overlap' }
  /** A missed tick whose catch-up ran already: nothing to do or record. */
  | { action: 'ignore' };

export interface TickFacts {
  config: Pick<CronTriggerConfig, 'cron' | 'timezone' | 'catchUp' | 'overlap'>;
  /** The tick's scheduled time (the job scheduler's tick, not when the job ran). */
  scheduledAt: Date;
  now: Date;
  /** The trigger's last recorded tick. */
  lastTickAt: Date | null;
  /** overlap 'skip' only: whether a previous run of this schedule is still not finished. */
  previousRunActive: boolean;
}

/**
 * One tick's fate, decided on its facts alone.
 *
 * A tick started more than `tickGraceMs` after its scheduled time was missed. With catchUp 'none' it
 * is skipped; with 'latest' the schedule's most recent tick (which may be this one, or a later one
 * also missed) runs instead, once: a tick at or before the last recorded one is not run again. An
 * on-time tick delivered twice decides 'run' twice: its run's idempotency key makes that one run.
 *
 * Overlap: 'skip' skips the tick while a previous run of the schedule is not finished; 'allow' and
 * 'queue' always create the run ('queue' puts it in the schedule's own line of one, see `tickConcurrency`).
 */
export function decideTick(facts: TickFacts): TickDecision {
  const { config, scheduledAt, now, lastTickAt } = facts;
  let tick = scheduledAt;
  let catchUp = false;
  if (now.getTime() - scheduledAt.getTime() > tickGraceMs(config, scheduledAt)) {
    if (config.catchUp === 'none') return { action: 'skip', outcome: 'skipped_missed' };
    tick = latestTick(config, now);
    catchUp = true;
    // The most recent tick ran already (the reconciler caught it up, or another delivery did).
    if (lastTickAt && tick.getTime() <= lastTickAt.getTime()) return { action: 'ignore' };
  }
  if (config.overlap === 'skip' && facts.previousRunActive)
    return { action: 'skip', outcome: 'skipped_overlap' };
  return { action: 'run', scheduledAt: tick, catchUp };
}

/**
 * After the schedulers were lost (Redis flushed or replaced) and re-created, the one tick a catchUp
 * 'latest' schedule runs: its most recent tick at or before `now`, when that tick came after the
 * trigger was armed and after its last recorded tick (so it never ran). Null otherwise, and always
 * for catchUp 'none'.
 */
export function catchUpTick(
  config: Pick<CronTriggerConfig, 'cron' | 'timezone' | 'catchUp'>,
  trigger: { armedAt: Date; lastTickAt: Date | null },
  now: Date,
): Date | null {
  if (config.catchUp !== 'latest') return null;
  const tick = latestTick(config, now);
  const since = Math.max(trigger.armedAt.getTime(), trigger.lastTickAt?.getTime() ?? 0);
  return tick.getTime() > since ? tick : null;
}

/**
 * The concurrency line of a scheduled run: overlap 'queue' waits in the schedule's own line of one
 * (the manifest refuses 'queue' beside a concurrency limit); otherwise the manifest's limit, if any.
 */
export function tickConcurrency(
  overlap: CronTriggerConfig['overlap'],
  triggerId: string,
  manifestLine: { limit: number; key: string } | null,
): { limit: number; key: string } | null {
  return overlap === 'queue' ? { limit: 1, key: `schedule:${triggerId}` } : manifestLine;
}

/** A tick's run's idempotency key: one run per schedule and tick, however often the tick is delivered. */
export function tickIdempotencyKey(triggerId: string, scheduledAt: Date): string {
  return `cron:${triggerId}:${scheduledAt.toISOString()}`;
}
