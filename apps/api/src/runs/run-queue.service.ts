import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { RunSlotsRepository, slotLineOf } from '@mendflow/db';
import { addJob, type NewRunJob, QueueNames, refillSlots, runJob } from '@mendflow/queue';
import type { Queue } from 'bullmq';

/** Hands runs to the workers. PostgreSQL already holds the run, so a failed enqueue loses nothing. */
@Injectable()
export class RunQueue {
  private readonly logger = new Logger('RunQueue');

  constructor(
    @InjectQueue(QueueNames.runs) private readonly queue: Queue,
    private readonly slots: RunSlotsRepository,
  ) {}

  /**
   * `priority` is the run's (higher first). Returns false (and logs) when Redis refused; the worker's
   * reconciler re-enqueues stale queued runs.
   */
  async enqueue(payload: NewRunJob, priority: number): Promise<boolean> {
    const job = runJob(payload, priority);
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

  /**
   * After a limited run left running or its line (cancelled), the runs at the head of its line get a
   * job (see refillSlots); nothing for a run without a concurrency limit. A failure is logged: the
   * worker's reconciler refills lines left waiting.
   */
  async refill(run: Parameters<typeof slotLineOf>[0]): Promise<void> {
    const line = slotLineOf(run);
    if (!line) return;
    try {
      await refillSlots(this.slots, this.queue, line);
    } catch (error) {
      this.logger.warn(
        `could not refill the concurrency line of automation ${line.automationId}: ${(error as Error).message}`,
      );
    }
  }
}
