import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { RunSlotsRepository, type SlotLine, slotLineOf } from '@mendflow/db';
import { QueueNames, refillSlots } from '@mendflow/queue';
import type { Queue } from 'bullmq';

/**
 * The worker's side of concurrency limits: after a limited run left running (its attempt settled, or
 * the reconciler recovered it), and after a blocked job ended, the runs at the head of its line get a
 * job (see refillSlots). A refill that fails is logged, not thrown: the run's own outcome is stored
 * already, and the stale-run reconciler refills lines left waiting.
 */
@Injectable()
export class SlotRefill {
  private readonly logger = new Logger('SlotRefill');

  constructor(
    private readonly slots: RunSlotsRepository,
    @InjectQueue(QueueNames.runs) private readonly queue: Queue,
  ) {}

  /** Refills the line of a run (or transition); does nothing for a run without a concurrency limit. */
  async afterRun(run: Parameters<typeof slotLineOf>[0] | null): Promise<void> {
    await this.line(run ? slotLineOf(run) : null);
  }

  async line(line: SlotLine | null): Promise<void> {
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
