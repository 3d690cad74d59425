import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { RunExecutionRepository } from '@mendflow/db';
import { QueueNames, runJob } from '@mendflow/queue';
import type { Queue } from 'bullmq';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';

/**
 * PostgreSQL is the source of truth: a run still `queued` long after it was created lost its job
 * (Redis flushed, or the API could not enqueue). Re-adding the job with the same id is a no-op when
 * the job still exists, and the conditional start makes a duplicate harmless.
 */
@Injectable()
export class StaleRunReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('StaleRunReconciler');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly execution: RunExecutionRepository,
    @InjectQueue(QueueNames.runs) private readonly queue: Queue,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.max(1000, Math.floor(this.config.STALE_QUEUED_RUN_MS / 2));
    this.timer = setInterval(
      () => void this.reconcile().catch((e) => this.logger.warn(`reconcile failed: ${e}`)),
      every,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async reconcile(): Promise<number> {
    const stale = await this.execution.findStaleWaiting(this.config.STALE_QUEUED_RUN_MS, 500);
    for (const run of stale) {
      const job = runJob({
        runId: run.id,
        workspaceId: run.workspaceId,
        automationId: run.automationId,
        attempt: run.nextAttempt,
      });
      await this.queue.add(job.name, job.data, job.opts);
    }
    if (stale.length > 0) this.logger.log(`re-enqueued ${stale.length} waiting run(s) whose job was missing`);
    return stale.length;
  }
}
