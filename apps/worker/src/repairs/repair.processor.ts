import { Processor, WorkerHost } from '@nestjs/bullmq';
import { withLogContext } from '@mendflow/common';
import { QueueNames, REPAIR_JOB_NAME, repairJobPayload } from '@mendflow/queue';
import { ATTR, inConsumerSpan, runAttributes } from '@mendflow/telemetry';
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
    const { workspaceId, repairId, trace } = repairJobPayload.parse(job.data);
    // A consumer span in the trace of the attempt that asked for the repair (its context is in the job);
    // the repaired run's id and attempt join the log context once the repair is loaded (RepairService.process).
    await inConsumerSpan(
      QueueNames.repairs,
      job,
      trace,
      { ...runAttributes({ workspaceId }), [ATTR.repairId]: repairId },
      () => withLogContext({ workspaceId, jobId: job.id }, () => this.repairs.process(workspaceId, repairId)),
    );
  }
}
