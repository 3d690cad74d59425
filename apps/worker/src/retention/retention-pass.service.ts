import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { retentionSettingsSchema } from '@mendflow/contracts';
import { retentionCutoffs, RetentionRepository, type RetentionWorkspace } from '@mendflow/db';
import { JOB_CATALOG, JobSchedulerKeeper, QueueNames } from '@mendflow/queue';
import type { Queue } from 'bullmq';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';
import { WorkerMetrics } from '../health/worker-metrics';

export const RETENTION_SCHEDULER_ID = 'mendflow:retention.prune';
// How often each worker checks that the pass's scheduler is still in Redis (at most the interval).
const SCHEDULER_CHECK_MS = 60_000;

/** Rows deleted by one pass, by kind (the metric's labels). */
export type RetentionCounts = Record<
  | 'runs'
  | 'attempts'
  | 'events'
  | 'steps'
  | 'inbox_items'
  | 'repairs'
  | 'notification_deliveries'
  | 'emitted_events'
  | 'secret_requests'
  | 'audit_entries',
  number
>;

export interface RetentionPassResult {
  deleted: RetentionCounts;
  /** Delete statements run (each its own transaction). */
  batches: number;
  /** Workspaces gone through completely. */
  workspaces: number;
  /** True when the time budget ran out; the next pass starts with the workspace this one stopped in. */
  stoppedEarly: boolean;
  ms: number;
}

const WORKSPACE_PAGE = 100;

function emptyCounts(): RetentionCounts {
  return {
    runs: 0,
    attempts: 0,
    events: 0,
    steps: 0,
    inbox_items: 0,
    repairs: 0,
    notification_deliveries: 0,
    emitted_events: 0,
    secret_requests: 0,
    audit_entries: 0,
  };
}

/**
 * The scheduled retention pass: walks every workspace and deletes, batch by batch, what its settings let
 * go (RetentionRepository owns the rules). A pass stops once RETENTION_TIME_BUDGET_MS is spent. Each
 * workspace it goes through completely is marked with the time (workspaces.retention_checked_at) and
 * passes take the longest-waiting workspaces first, so the next pass goes on where this one stopped and
 * a large backlog in one workspace never starves the others.
 */
@Injectable()
export class RetentionPass implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private readonly keeper: JobSchedulerKeeper;

  constructor(
    private readonly retention: RetentionRepository,
    @InjectQueue(QueueNames.maintenance) private readonly maintenance: Queue,
    @Inject(WORKER_CONFIG)
    private readonly config: Pick<
      WorkerConfig,
      'RETENTION_INTERVAL_MS' | 'RETENTION_BATCH_SIZE' | 'RETENTION_TIME_BUDGET_MS'
    >,
    private readonly metrics: WorkerMetrics,
  ) {
    this.keeper = new JobSchedulerKeeper(
      maintenance,
      { id: RETENTION_SCHEDULER_ID, label: 'the retention pass', write: () => this.writeScheduler() },
      this.logger,
    );
  }

  /**
   * One pass per interval across the cluster (a job scheduler every worker upserts with the same id,
   * like the reconciler's); with RETENTION_INTERVAL_MS=0 the scheduler is removed, so turning retention
   * off takes effect even though an earlier worker had registered it. Like the reconciler's, the
   * scheduler is written again if Redis loses it (JobSchedulerKeeper).
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.RETENTION_INTERVAL_MS === 0) {
      await this.maintenance.removeJobScheduler(RETENTION_SCHEDULER_ID);
      this.logger.log('retention is off (RETENTION_INTERVAL_MS=0)');
      return;
    }
    await this.keeper.start(Math.min(SCHEDULER_CHECK_MS, this.config.RETENTION_INTERVAL_MS));
  }

  onApplicationShutdown(): void {
    this.keeper.stop();
  }

  /** Writes the pass's scheduler again if Redis lost it; true when it did. */
  keepScheduler(): Promise<boolean> {
    return this.keeper.check();
  }

  private async writeScheduler(): Promise<void> {
    const job = JOB_CATALOG['retention.prune'].build({}, {});
    await this.maintenance.upsertJobScheduler(
      RETENTION_SCHEDULER_ID,
      { every: this.config.RETENTION_INTERVAL_MS },
      { name: job.name, data: job.data, opts: { removeOnComplete: true, removeOnFail: { age: 3600 } } },
    );
  }

  async prune(now: Date = new Date()): Promise<RetentionPassResult> {
    const started = Date.now();
    const deadline = started + this.config.RETENTION_TIME_BUDGET_MS;
    const result: RetentionPassResult = {
      deleted: emptyCounts(),
      batches: 0,
      workspaces: 0,
      stoppedEarly: false,
      ms: 0,
    };
    const passStart = new Date(started);
    for (;;) {
      const page = await this.retention.listUnchecked(passStart, WORKSPACE_PAGE);
      if (page.length === 0) break;
      for (const workspace of page) {
        if (Date.now() >= deadline || !(await this.pruneWorkspace(workspace, now, deadline, result))) {
          // Left unmarked, so the next pass starts with it.
          result.stoppedEarly = true;
          return this.finish(result, started);
        }
        // Marked with a time at or after passStart: it drops out of this pass's list.
        await this.retention.markChecked(workspace.id, new Date(Math.max(Date.now(), started)));
        result.workspaces += 1;
      }
    }
    return this.finish(result, started);
  }

  /** Deletes what one workspace lets go; false when the budget ran out before it was all gone. */
  private async pruneWorkspace(
    workspace: RetentionWorkspace,
    now: Date,
    deadline: number,
    result: RetentionPassResult,
  ): Promise<boolean> {
    const parsed = retentionSettingsSchema.safeParse(workspace.settings);
    if (!parsed.success) {
      // Only a hand-edited row gets here (the API refuses these values): deleting by it could take far
      // more than anyone chose, so the workspace is left alone and someone is told.
      this.logger.warn(`workspace ${workspace.id}: retention settings out of bounds, skipped`);
      return true;
    }
    const settings = parsed.data;
    const limit = this.config.RETENTION_BATCH_SIZE;
    const cutoffs = retentionCutoffs(settings, now);
    const count = (kind: keyof RetentionCounts, n: number) => {
      result.deleted[kind] += n;
      if (n > 0) this.metrics.retentionDeleted.inc({ kind }, n);
    };
    /** Runs `batch` until it deletes fewer than a full batch; false when the deadline came first. */
    const drain = async (batch: () => Promise<number>): Promise<boolean> => {
      for (;;) {
        if (Date.now() >= deadline) return false;
        const deleted = await batch();
        result.batches += 1;
        if (deleted < limit) return true;
      }
    };
    const id = workspace.id;
    return (
      (await drain(async () => {
        const gone = await this.retention.deleteRunBatch(id, settings, now, limit);
        count('runs', gone.runs);
        count('attempts', gone.attempts);
        count('events', gone.events);
        count('steps', gone.steps);
        count('inbox_items', gone.inboxItems);
        count('repairs', gone.repairs);
        count('notification_deliveries', gone.notificationDeliveries);
        count('emitted_events', gone.emittedEvents);
        return gone.runs;
      })) &&
      (await drain(async () => {
        const n = await this.retention.deletePostedEventBatch(id, cutoffs.runs, limit);
        count('emitted_events', n);
        return n;
      })) &&
      (await drain(async () => {
        const n = await this.retention.deleteSecretRequestBatch(id, cutoffs.runs, limit);
        count('secret_requests', n);
        return n;
      })) &&
      (await drain(async () => {
        const n = await this.retention.deleteAuditBatch(id, cutoffs.audit, limit);
        count('audit_entries', n);
        return n;
      }))
    );
  }

  private finish(result: RetentionPassResult, started: number): RetentionPassResult {
    result.ms = Date.now() - started;
    const { deleted } = result;
    const rows = Object.values(deleted).reduce((a, b) => a + b, 0);
    if (rows > 0 || result.stoppedEarly) {
      const parts = (Object.keys(deleted) as (keyof RetentionCounts)[])
        .filter((kind) => deleted[kind] > 0)
        .map((kind) => `${deleted[kind]} ${kind}`);
      this.logger.log(
        `deleted ${parts.join(', ') || 'nothing'} in ${result.batches} batches across ${result.workspaces} workspace(s), ${result.ms} ms` +
          (result.stoppedEarly ? '; time budget spent, the next pass continues' : ''),
      );
    }
    return result;
  }
}
