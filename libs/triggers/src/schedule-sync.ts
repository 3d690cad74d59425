import type { CronTriggerConfig } from '@mendflow/common';
import type { TriggerRecord, TriggersRepository } from '@mendflow/db';
import {
  JOB_CATALOG,
  SCHEDULE_SCHEDULER_PREFIX,
  SCHEDULE_TICK_JOB_OPTS,
  type ScheduleTickPayload,
  scheduleSchedulerId,
} from '@mendflow/queue';
import type { JobSchedulerJson, Queue } from 'bullmq';

/** What the sync needs of the maintenance queue (a subset of BullMQ's Queue). */
export type SchedulerQueue = Pick<Queue, 'upsertJobScheduler' | 'removeJobScheduler' | 'getJobSchedulers'>;

const TICK_JOB = 'schedule.tick' satisfies keyof typeof JOB_CATALOG;

/** What a sync changed in Redis. */
export interface SyncResult {
  /** Cron triggers whose scheduler was missing (or differed) and was written. */
  upserted: TriggerRecord[];
  /** Scheduler ids removed because no trigger row is behind them any more. */
  removed: string[];
}

/**
 * PostgreSQL holds the schedules (automation_triggers rows of kind cron, kept in step with deploys by
 * syncTriggers); Redis holds one BullMQ job scheduler per row, `cron:<triggerId>` on the maintenance
 * queue, which adds one `schedule.tick` job per tick for whichever worker is free. This class makes
 * Redis follow PostgreSQL: after every deploy-state change for one automation, and in the
 * reconciler's pass for all of them (which repairs a crash between the commit and Redis, or a Redis
 * that lost its data).
 */
export class ScheduleSync {
  constructor(
    private readonly triggers: Pick<TriggersRepository, 'listForAutomation' | 'listByKind'>,
    private readonly queue: SchedulerQueue,
  ) {}

  /** Makes one automation's schedulers match its cron triggers now in force. */
  async syncAutomation(workspaceId: string, automationId: string): Promise<SyncResult> {
    // Schedulers first, rows second: a row added in between is written (harmless twice), never a
    // fresh scheduler taken for an orphan.
    const schedulers = (await this.schedulers()).filter(
      (scheduler) => scheduler.template?.data?.automationId === automationId,
    );
    const rows = (await this.triggers.listForAutomation(workspaceId, automationId)).filter(isCron);
    return this.apply(rows, schedulers);
  }

  /** Makes every scheduler match the cron triggers in force: orphans removed, missing ones written. */
  async syncAll(): Promise<SyncResult> {
    const schedulers = await this.schedulers();
    const rows = await this.triggers.listByKind('cron');
    return this.apply(rows, schedulers);
  }

  private async apply(
    rows: TriggerRecord[],
    schedulers: JobSchedulerJson<ScheduleTickPayload>[],
  ): Promise<SyncResult> {
    const existing = new Map(schedulers.map((scheduler) => [scheduler.key, scheduler]));
    const upserted: TriggerRecord[] = [];
    for (const row of rows) {
      const id = scheduleSchedulerId(row.id);
      const current = existing.get(id);
      existing.delete(id);
      if (current && matches(current, row)) continue;
      await this.upsert(row);
      upserted.push(row);
    }
    // What is left has no row behind it: the trigger was paused, deleted or redeployed away.
    const removed = [...existing.keys()];
    for (const id of removed) await this.queue.removeJobScheduler(id);
    return { upserted, removed };
  }

  private async upsert(row: TriggerRecord): Promise<void> {
    const config = row.config as CronTriggerConfig;
    const data: ScheduleTickPayload = {
      triggerId: row.id,
      workspaceId: row.workspaceId,
      automationId: row.automationId,
    };
    await this.queue.upsertJobScheduler(
      scheduleSchedulerId(row.id),
      { pattern: config.cron, tz: config.timezone },
      { name: TICK_JOB, data, opts: { ...SCHEDULE_TICK_JOB_OPTS } },
    );
  }

  private async schedulers(): Promise<JobSchedulerJson<ScheduleTickPayload>[]> {
    const all = (await this.queue.getJobSchedulers()) as JobSchedulerJson<ScheduleTickPayload>[];
    // The maintenance queue has other schedulers (the reconciler's pass): only ours are compared.
    return all.filter((scheduler) => scheduler.key.startsWith(SCHEDULE_SCHEDULER_PREFIX));
  }
}

function isCron(row: TriggerRecord): boolean {
  return row.kind === 'cron';
}

function matches(scheduler: JobSchedulerJson<ScheduleTickPayload>, row: TriggerRecord): boolean {
  const config = row.config as CronTriggerConfig;
  const data = scheduler.template?.data;
  return (
    scheduler.pattern === config.cron &&
    (scheduler.tz ?? 'UTC') === config.timezone &&
    data?.triggerId === row.id &&
    data.workspaceId === row.workspaceId &&
    data.automationId === row.automationId
  );
}
