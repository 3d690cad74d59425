import { Injectable, Logger } from '@nestjs/common';
import { type CronTriggerConfig, RUN_PRIORITY, runConcurrency } from '@mendflow/common';
import {
  AutomationsRepository,
  RunsRepository,
  type TickTransaction,
  type TriggerRecord,
  TriggersRepository,
} from '@mendflow/db';
import { RunEngine } from '@mendflow/engine';
import type { ScheduleTickPayload } from '@mendflow/queue';
import {
  catchUpTick,
  decideTick,
  overlapSkips,
  tickConcurrency,
  tickIdempotencyKey,
} from '@mendflow/triggers';
import { WorkerMetrics } from '../health/worker-metrics';

/** What a tick did (logged and counted; the row keeps the last one as lastTickOutcome). */
export type TickResult =
  | { outcome: 'run_created'; runId: string; scheduledAt: Date; catchUp: boolean }
  | { outcome: 'skipped_overlap' | 'skipped_missed'; scheduledAt: Date }
  /** The trigger is gone (paused, deleted, redeployed without it), or its catch-up ran already. */
  | { outcome: 'gone' | 'ignored' };

/**
 * A schedule's ticks become runs. Each tick is handled holding its trigger's lock
 * (TriggersRepository.withTick) on the trigger row as it is now: a tick of a trigger that is gone
 * does nothing. The run is created with RunEngine.queue under the key `cron:<triggerId>:<tick>`, so a
 * tick delivered twice, or a tick both fired and caught up, is one run.
 */
@Injectable()
export class ScheduleTicks {
  private readonly logger = new Logger('ScheduleTicks');

  constructor(
    private readonly triggers: TriggersRepository,
    private readonly automations: AutomationsRepository,
    private readonly runs: RunsRepository,
    private readonly engine: RunEngine,
    private readonly metrics: WorkerMetrics,
  ) {}

  /** One tick job: the tick at `scheduledAt`, handled at `now`. */
  async tick(payload: ScheduleTickPayload, scheduledAt: Date, now = new Date()): Promise<TickResult> {
    const result = await this.triggers.withTick(payload.triggerId, async (tick) => {
      const trigger = tick.trigger;
      if (!trigger || trigger.kind !== 'cron') return { outcome: 'gone' as const };
      const config = trigger.config as CronTriggerConfig;
      const decision = decideTick({ config, scheduledAt, now, lastTickAt: trigger.lastTickAt });
      if (decision.action === 'ignore') return { outcome: 'ignored' as const };
      if (decision.action === 'skip_missed') {
        await tick.record(scheduledAt, 'skipped_missed', null);
        return { outcome: 'skipped_missed' as const, scheduledAt };
      }
      return this.start(tick, trigger, decision.scheduledAt, decision.catchUp);
    });
    this.report(payload.triggerId, result);
    return result;
  }

  /**
   * After the reconciler re-created a lost scheduler: a catchUp 'latest' schedule runs its most recent
   * tick that never ran (at most one run; none for catchUp 'none').
   */
  async catchUp(triggerId: string, now = new Date()): Promise<TickResult> {
    const result = await this.triggers.withTick(triggerId, async (tick) => {
      const trigger = tick.trigger;
      if (!trigger || trigger.kind !== 'cron') return { outcome: 'gone' as const };
      const missed = catchUpTick(trigger.config as CronTriggerConfig, trigger, now);
      if (!missed) return { outcome: 'ignored' as const };
      return this.start(tick, trigger, missed, true);
    });
    this.report(triggerId, result);
    return result;
  }

  private async start(
    tick: TickTransaction,
    trigger: TriggerRecord,
    scheduledAt: Date,
    catchUp: boolean,
  ): Promise<TickResult> {
    const config = trigger.config as CronTriggerConfig;
    const { workspaceId, automationId } = trigger;
    const at = scheduledAt.toISOString();
    if (config.overlap === 'skip') {
      const busy = await this.runs.hasActiveScheduledRun(workspaceId, automationId, trigger.id, at);
      if (overlapSkips(config.overlap, busy)) {
        await tick.record(scheduledAt, 'skipped_overlap', null);
        return { outcome: 'skipped_overlap', scheduledAt };
      }
    }
    const automation = await this.automations.get(workspaceId, automationId);
    // The row exists only while the automation is active with a deployed version (syncTriggers).
    if (automation.status !== 'active' || !automation.deployedVersion) return { outcome: 'gone' };
    const { manifest } = automation.deployedVersion;
    const input = config.input ?? null;
    const { run } = await this.engine.queue(workspaceId, {
      automationId,
      versionId: automation.deployedVersion.id,
      trigger: 'cron',
      input,
      idempotencyKey: tickIdempotencyKey(trigger.id, scheduledAt),
      triggerContext: { kind: 'cron', triggerId: trigger.id, scheduledAt: at },
      priority: RUN_PRIORITY.default,
      concurrency: tickConcurrency(config.overlap, trigger.id, runConcurrency(manifest.concurrency, input)),
    });
    await tick.record(scheduledAt, 'run_created', run.id);
    return { outcome: 'run_created', runId: run.id, scheduledAt, catchUp };
  }

  private report(triggerId: string, result: TickResult): void {
    const label = result.outcome === 'run_created' && result.catchUp ? 'caught_up' : result.outcome;
    this.metrics.scheduleTicks.inc({ outcome: label });
    if (result.outcome === 'run_created') {
      const what = result.catchUp ? 'caught up on missed tick' : 'tick';
      this.logger.debug(
        `schedule ${triggerId}: ${what} ${result.scheduledAt.toISOString()} → run ${result.runId}`,
      );
    } else if (result.outcome === 'skipped_overlap' || result.outcome === 'skipped_missed') {
      this.logger.log(`schedule ${triggerId}: tick ${result.scheduledAt.toISOString()} ${result.outcome}`);
    }
  }
}
