import { Processor, WorkerHost } from '@nestjs/bullmq';
import { RunEngine } from '@mendflow/engine';
import { type JobName, parseJob, QueueNames } from '@mendflow/queue';
import type { Job } from 'bullmq';
import { StaleRunReconciler } from './stale-run-reconciler.service';

/** Timers and housekeeping: the reconciler's scheduled pass, and wake-ups of waiting runs. */
@Processor(QueueNames.maintenance, { concurrency: 4 })
export class MaintenanceProcessor extends WorkerHost {
  /** The job names this processor handles (checked against the job catalog when the worker starts). */
  static readonly handles = ['runs.reconcile', 'run.wake'] as const satisfies readonly JobName[];

  constructor(
    private readonly reconciler: StaleRunReconciler,
    private readonly engine: RunEngine,
  ) {
    super();
  }

  async process(job: Job): Promise<void> {
    switch (job.name) {
      case 'runs.reconcile':
        await this.reconciler.reconcile();
        return;
      case 'run.wake': {
        const { workspaceId, runId, attempt } = parseJob('run.wake', job.data);
        await this.engine.wake({ workspaceId, runId }, attempt);
        return;
      }
      default:
        throw new Error(`no handler for job ${job.name} on queue ${QueueNames.maintenance}`);
    }
  }
}
