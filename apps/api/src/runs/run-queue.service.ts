import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { addJob, type NewRunJob, QueueNames, runJob } from '@mendflow/queue';
import type { Queue } from 'bullmq';

/** Hands runs to the workers. PostgreSQL already holds the run, so a failed enqueue loses nothing. */
@Injectable()
export class RunQueue {
  private readonly logger = new Logger('RunQueue');

  constructor(@InjectQueue(QueueNames.runs) private readonly queue: Queue) {}

  /** Returns false (and logs) when Redis refused; the worker's reconciler re-enqueues stale queued runs. */
  async enqueue(payload: NewRunJob): Promise<boolean> {
    const job = runJob(payload);
    try {
      await addJob(this.queue, job);
      return true;
    } catch (error) {
      this.logger.warn(
        `run ${payload.runId} stays queued in PostgreSQL; enqueue failed: ${(error as Error).message}`,
      );
      return false;
    }
  }
}
