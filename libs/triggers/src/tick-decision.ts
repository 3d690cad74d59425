import type { CronTriggerConfig } from '@mendflow/common';
import { latestTick, tickGraceMs } from './cron-times';

/** When one tick of a schedule runs, or why it does not. */
export type TickDecision =
  /** Create the run of tick `scheduledAt` (its own time, or the latest missed tick on catch-up). */
  | { action: 'run'; scheduledAt: Date; catchUp: boolean }
  /** A missed tick of a catchUp 'none' schedule: no run; the tick is recorded as skipped_missed. */
  | { action: 'skip_missed' }
  /** A missed tick whose catch-up ran already: nothing to do or record. */
  | { action: 'ignore' };

export interface TickFacts {
  config: Pick<CronTriggerConfig, 'cron' | 'timezone' | 'catchUp'>;
  /** The tick's scheduled time (the job scheduler's tick, not when the job ran). */
  scheduledAt: Date;
  now: Date;
  /** The trigger's last recorded tick. */
  lastTickAt: Date | null;
}

/**
 * Which tick, if any, a delivered tick job runs, decided on its facts alone.
 *
 * A tick started more than `tickGraceMs` after its scheduled time was missed. With catchUp 'none' it
 * is skipped; with 'latest' the schedule's most recent tick (which may be this one, or a later one
 * also missed) runs instead, once: a tick at or before the last recorded one is not run again. An
 * on-time tick delivered twice decides 'run' twice: its run's idempotency key makes that one run.
 * The overlap policy is applied after, to the tick chosen here (`overlapSkips`).
 */
export function decideTick(facts: TickFacts): TickDecision {
  const { config, scheduledAt, now, lastTickAt } = facts;
  if (now.getTime() - scheduledAt.getTime() <= tickGraceMs(config, scheduledAt))
    return { action: 'run', scheduledAt, catchUp: false };
  if (config.catchUp === 'none') return { action: 'skip_missed' };
  const latest = latestTick(config, now);
  // The most recent tick ran already (the reconciler caught it up, or another delivery did).
  if (lastTickAt && latest.getTime() <= lastTickAt.getTime()) return { action: 'ignore' };
  return { action: 'run', scheduledAt: latest, catchUp: true };
}

/**
 * Whether the overlap policy skips a tick: only 'skip', while a previous run of the schedule is not
 * finished. 'allow' starts the run beside it; 'queue' starts it in the schedule's own line of one
 * (`tickConcurrency`), where it waits for the previous run to finish.
 */
export function overlapSkips(overlap: CronTriggerConfig['overlap'], previousRunActive: boolean): boolean {
  return overlap === 'skip' && previousRunActive;
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

/**
 * The tick a schedule.tick job stands for. A job scheduler names each job it adds
 * `repeat:<schedulerId>:<tick in epoch ms>` (one job per tick: BullMQ refuses a second job of the
 * same id) and keeps the same tick as `opts.prevMillis`; the id is the contract, prevMillis the
 * fallback. Null for a job that is neither (not made by a scheduler).
 */
export function tickTimeOf(job: { id?: string | undefined; opts?: { prevMillis?: number } }): Date | null {
  const match = job.id ? /^repeat:.+:(\d+)$/.exec(job.id) : null;
  const millis = match?.[1] !== undefined ? Number(match[1]) : job.opts?.prevMillis;
  return typeof millis === 'number' && Number.isFinite(millis) && millis > 0 ? new Date(millis) : null;
}
