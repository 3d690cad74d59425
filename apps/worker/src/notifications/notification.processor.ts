import { Processor, WorkerHost } from '@nestjs/bullmq';
import { withLogContext } from '@mendflow/common';
import { type JobName, parseJob, QueueNames } from '@mendflow/queue';
import { inConsumerSpan, runAttributes } from '@mendflow/telemetry';
import type { Job } from 'bullmq';
import { NotificationService } from './notification.service';

/** A failed try BullMQ retries after its backoff; the delivery row already holds the reason. */
class DeliveryRetry extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'DeliveryRetry';
  }
}

@Processor(QueueNames.notifications, { concurrency: 8 })
export class NotificationProcessor extends WorkerHost {
  /** The job names this processor handles (checked against the job catalog when the worker starts). */
  static readonly handles = [
    'notification.dispatch',
    'notification.deliver',
  ] as const satisfies readonly JobName[];

  constructor(private readonly notifications: NotificationService) {
    super();
  }

  async process(job: Job): Promise<void> {
    switch (job.name) {
      case 'notification.dispatch': {
        const payload = parseJob('notification.dispatch', job.data);
        await inConsumerSpan(
          QueueNames.notifications,
          job,
          payload.trace,
          {
            ...runAttributes({ workspaceId: payload.workspaceId }),
            'mendflow.notification.topic': payload.topic,
          },
          () => this.notifications.dispatch(payload),
        );
        return;
      }
      case 'notification.deliver': {
        const { workspaceId, deliveryId, trace } = parseJob('notification.deliver', job.data);
        const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        const outcome = await inConsumerSpan(
          QueueNames.notifications,
          job,
          trace,
          { ...runAttributes({ workspaceId }), 'mendflow.notification.delivery.id': deliveryId },
          () =>
            withLogContext({ workspaceId, jobId: job.id }, () =>
              this.notifications.deliver(workspaceId, deliveryId, final),
            ),
        );
        if (outcome === 'retry') throw new DeliveryRetry(`delivery ${deliveryId} failed; retried`);
        return;
      }
      default:
        throw new Error(`no handler for job ${job.name} on queue ${QueueNames.notifications}`);
    }
  }
}
