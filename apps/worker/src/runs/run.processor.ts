import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { QueueNames, RUN_JOB_NAME, runJobPayload } from '@mendflow/queue';
import type { Job } from 'bullmq';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';
import { RunExecutor } from './run-executor.service';

/** Thin: validate the job, hand it to the executor. */
@Processor(QueueNames.runs, { autorun: false, maxStalledCount: 5 })
export class RunProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly executor: RunExecutor,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.WORKER_CONCURRENCY;
    this.worker.opts.lockDuration = this.config.WORKER_LOCK_DURATION_MS;
    this.worker.opts.stalledInterval = this.config.WORKER_LOCK_DURATION_MS;
    void this.worker.run();
  }

  /**
   * On SIGTERM, stop taking jobs and let the attempts under way finish before the sandbox closes (its
   * shutdown hook runs after this one). An orchestrator's grace period bounds the wait; a worker
   * killed anyway leaves jobs that BullMQ redelivers and attempts marked abandoned.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job): Promise<void> {
    if (job.name !== RUN_JOB_NAME)
      throw new Error(`no handler for job ${job.name} on queue ${QueueNames.runs}`);
    await this.executor.execute(runJobPayload.parse(job.data));
  }
}
