import { Processor, WorkerHost } from '@nestjs/bullmq';
import { withLogContext } from '@mendflow/common';
import { QueueNames, REPAIR_JOB_NAME, repairJobPayload } from '@mendflow/queue';
import type { Job } from 'bullmq';
import { RepairService } from './repair.service';

/** The repair loop's own queue, so slow provider calls never hold up runs. */
@Processor(QueueNames.repairs, { concurrency: 2, maxStalledCount: 2 })
export class RepairProcessor extends WorkerHost {
  static readonly handles = [REPAIR_JOB_NAME] as const;

  constructor(private readonly repairs: RepairService) {
    super();
  }

  async process(job: Job): Promise<void> {
    if (job.name !== REPAIR_JOB_NAME)
      throw new Error(`no handler for job ${job.name} on queue ${QueueNames.repairs}`);
    const { workspaceId, repairId } = repairJobPayload.parse(job.data);
    // The repaired run's id and attempt join once the repair is loaded (RepairService.process).
    await withLogContext({ workspaceId, jobId: job.id }, () => this.repairs.process(workspaceId, repairId));
  }
}
