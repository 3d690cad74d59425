import { Processor, WorkerHost } from '@nestjs/bullmq';
import { withLogContext } from '@mendflow/common';
import { RunEngine } from '@mendflow/engine';
import { type JobName, parseJob, QueueNames } from '@mendflow/queue';
import { inConsumerSpan, runAttributes } from '@mendflow/telemetry';
import { tickTimeOf } from '@mendflow/triggers';
import { DelayedError, type Job } from 'bullmq';
import { NotificationService } from '../notifications/notification.service';
import { RetentionPass } from '../retention/retention-pass.service';
import { ScheduleTicks } from '../schedules/schedule-ticks.service';
import { StaleRunReconciler } from './stale-run-reconciler.service';

/**
 * Timers and housekeeping: the reconciler's scheduled pass (runs, then notification deliveries),
 * the retention pass, wake-ups of waiting runs, and schedule ticks. One processor for the queue: a BullMQ worker consumes
 * a queue with one processing function.
 */
@Processor(QueueNames.maintenance, { concurrency: 4 })
export class MaintenanceProcessor extends WorkerHost {
  /** The job names this processor handles (checked against the job catalog when the worker starts). */
  static readonly handles = [
    'runs.reconcile',
    'retention.prune',
    'run.wake',
    'schedule.tick',
  ] as const satisfies readonly JobName[];

  constructor(
    private readonly reconciler: StaleRunReconciler,
    private readonly engine: RunEngine,
    private readonly notifications: NotificationService,
    private readonly ticks: ScheduleTicks,
    private readonly retention: RetentionPass,
  ) {
    super();
  }

  async process(job: Job, token?: string): Promise<void> {
    switch (job.name) {
      case 'runs.reconcile':
        await this.reconciler.reconcile();
        // Notification deliveries that lost their job are caught up by the same pass.
        await this.notifications.redeliverStale();
        await this.notifications.redispatchLost();
        return;
      case 'retention.prune':
        await this.retention.prune();
        return;
      case 'run.wake': {
        const { workspaceId, runId, attempt, trace } = parseJob('run.wake', job.data);
        // In the trace of the attempt that set the timer.
        const woke = await inConsumerSpan(
          QueueNames.maintenance,
          job,
          trace,
          runAttributes({ workspaceId, runId, attempt }),
          () =>
            withLogContext({ runId, attempt, workspaceId, jobId: job.id }, () =>
              this.engine.wake({ workspaceId, runId }, attempt),
            ),
        );
        if (woke && 'notBefore' in woke && token) {
          // Fired before the deadline PostgreSQL holds (clocks apart, a deadline moved): this job is the
          // timer, so it goes back to wait until then (a new job under its id would be ignored).
          await job.moveToDelayed(woke.notBefore.getTime(), token);
          throw new DelayedError();
        }
        return;
      }
      case 'schedule.tick': {
        const scheduledAt = tickTimeOf(job);
        if (!scheduledAt) throw new Error(`schedule.tick job ${job.id} does not come from a job scheduler`);
        const tick = parseJob('schedule.tick', job.data);
        // A new trace per tick (a job scheduler added it): the run it starts is created inside it.
        await inConsumerSpan(
          QueueNames.maintenance,
          job,
          undefined,
          runAttributes({ workspaceId: tick.workspaceId, automationId: tick.automationId }),
          () => this.ticks.tick(tick, scheduledAt),
        );
        return;
      }
      default:
        throw new Error(`no handler for job ${job.name} on queue ${QueueNames.maintenance}`);
    }
  }
}
