import { Inject, Injectable, Logger } from '@nestjs/common';
import { NotFoundError, SecretBox } from '@mendflow/common';
import type { NotificationTopic } from '@mendflow/contracts';
import {
  AutomationsRepository,
  InboxRepository,
  NotificationsRepository,
  RepairsRepository,
  RunsRepository,
} from '@mendflow/db';
import {
  channelSecretContext,
  channelTarget,
  type NotificationMessage,
  type NotificationSubject,
  renderMessage,
  scrubError,
  sendNotification,
} from '@mendflow/notify';
import { JobQueues, type NotificationDispatchPayload } from '@mendflow/queue';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';
import { WorkerMetrics } from '../health/worker-metrics';
import { SECRET_BOX } from '../runs/host-services.factory';

/** A pending delivery untouched this long may have lost its job (its retries are far shorter apart). */
export const STALE_DELIVERY_MS = 60_000;

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'skipped';

/**
 * Notifications when a person is needed (and, per channel, when a run fails or a repair is deployed).
 * `dispatch` decides who is told and records one delivery per channel; `deliver` sends one of them.
 * Both run as jobs, never inside a run's transition, so a channel that is slow or down delays nothing
 * but its own delivery.
 */
@Injectable()
export class NotificationService {
  private readonly logger = new Logger('Notifications');

  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly inbox: InboxRepository,
    private readonly runs: RunsRepository,
    private readonly repairs: RepairsRepository,
    private readonly automations: AutomationsRepository,
    private readonly jobs: JobQueues,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly metrics: WorkerMetrics,
  ) {}

  /**
   * One pending delivery per enabled channel that takes the topic, narrowed by the automation's
   * deployed manifest (`notifications.channels`: only those names, [] none), then their jobs.
   * Returns how many deliveries are pending for the subject.
   */
  async dispatch({ workspaceId, topic, subjectId }: NotificationDispatchPayload): Promise<number> {
    const subject = await this.subject(workspaceId, topic, subjectId);
    if (!subject) return 0;
    const names = await this.narrowedTo(workspaceId, subject.automation.id);
    const channels = await this.notifications.channelsFor(workspaceId, topic, names);
    if (channels.length === 0) return 0;
    const message = renderMessage(subject, { webUrl: this.config.MENDFLOW_WEB_URL });
    const pending = await this.notifications.createDeliveries(workspaceId, {
      topic,
      subjectId,
      runId: subject.runId,
      channelIds: channels.map((channel) => channel.id),
      message,
    });
    for (const deliveryId of pending) await this.enqueueDelivery(workspaceId, deliveryId);
    return pending.length;
  }

  /**
   * Sends one delivery. A failed try is recorded (attempts, the scrubbed reason); `final` (the job's
   * last try) ends it failed, otherwise the caller throws so BullMQ retries it after its backoff.
   */
  async deliver(workspaceId: string, deliveryId: string, final: boolean): Promise<DeliveryOutcome> {
    const delivery = await this.notifications.getDelivery(workspaceId, deliveryId);
    // Delivered or failed already (a repeated job), or its channel was deleted with it.
    if (!delivery || delivery.status !== 'pending') return 'skipped';
    const channel = await this.notifications.getChannel(workspaceId, delivery.channelId);
    let secret: string | null = null;
    try {
      if (!channel.enabled) throw new Error('the channel was disabled before the message went out');
      secret = channel.secretCiphertext
        ? this.box.open(channel.secretCiphertext, channelSecretContext(workspaceId, channel.id))
        : null;
      const target = channelTarget(channel.kind, channel.config, secret);
      await sendNotification(target, delivery.message as unknown as NotificationMessage, {
        deliveryId,
        timeoutMs: this.config.NOTIFY_TIMEOUT_MS,
      });
    } catch (error) {
      // Senders scrub their own errors; anything else (a config that does not parse) is scrubbed here.
      const reason = scrubError((error as Error).message, [secret]);
      const last = final || !channel.enabled;
      await this.notifications.recordFailure(workspaceId, deliveryId, reason, last);
      this.logger.warn(
        `delivery ${deliveryId} to channel ${channel.name} failed${last ? ' for good' : ''}: ${reason}`,
      );
      const outcome = last ? 'failed' : 'retry';
      this.metrics.notificationDeliveries.inc({ channel_kind: channel.kind, outcome });
      return outcome;
    }
    await this.notifications.markDelivered(workspaceId, deliveryId);
    this.metrics.notificationDeliveries.inc({ channel_kind: channel.kind, outcome: 'delivered' });
    return 'delivered';
  }

  /** The reconciler's part: pending deliveries whose job is gone get it back (a live job is left alone). */
  async redeliverStale(): Promise<number> {
    const stale = await this.notifications.findStalePending(STALE_DELIVERY_MS, 200);
    for (const delivery of stale) await this.enqueueDelivery(delivery.workspaceId, delivery.id);
    return stale.length;
  }

  /**
   * The reconciler's other part: an inbox item whose dispatch job was lost (Redis lost it after the
   * engine's commit) is dispatched again. The dispatch job's id is the subject's, so an item whose
   * dispatch ran (and found every channel narrowed away) is not dispatched twice while that job is kept.
   */
  async redispatchLost(): Promise<number> {
    const lost = await this.notifications.findUndispatchedInboxItems(STALE_DELIVERY_MS, 200);
    for (const item of lost) {
      await this.jobs.enqueue('notification.dispatch', {
        workspaceId: item.workspaceId,
        topic: 'inbox.opened',
        subjectId: item.id,
      });
    }
    return lost.length;
  }

  private enqueueDelivery(workspaceId: string, deliveryId: string): Promise<void> {
    return this.jobs.enqueue(
      'notification.deliver',
      { workspaceId, deliveryId },
      { retryBaseMs: this.config.NOTIFY_RETRY_BASE_MS },
    );
  }

  /**
   * The channel names the automation's deployed manifest narrows to (undefined: all). An automation
   * gone since (or without a deployed version) is not narrowed: every channel of the topic is told.
   */
  private async narrowedTo(workspaceId: string, automationId: string): Promise<string[] | undefined> {
    try {
      const automation = await this.automations.get(workspaceId, automationId);
      return automation.deployedVersion?.manifest.notifications.channels;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** What the notification is about; null when it is gone (an automation deleted meanwhile). */
  private async subject(
    workspaceId: string,
    topic: NotificationTopic,
    subjectId: string,
  ): Promise<NotificationSubject | null> {
    try {
      switch (topic) {
        case 'inbox.opened': {
          const item = await this.inbox.get(workspaceId, subjectId);
          return {
            topic,
            automation: { id: item.automationId, name: item.automationName },
            runId: item.runId,
            inboxItemId: item.id,
            kind: item.kind,
            title: item.title,
            reason: item.reason,
          };
        }
        case 'run.failed': {
          const run = await this.runs.get(workspaceId, subjectId);
          return {
            topic,
            automation: { id: run.automationId, name: run.automationName },
            runId: run.id,
            reason: run.error?.message ?? 'the run ended failed',
          };
        }
        case 'repair.deployed': {
          const repair = await this.repairs.get(workspaceId, subjectId);
          const automation = await this.automations.get(workspaceId, repair.automationId);
          const version = repair.deployedVersionId
            ? await this.automations.getVersion(workspaceId, repair.deployedVersionId)
            : null;
          if (!version) return null;
          return {
            topic,
            automation: { id: automation.id, name: automation.name },
            runId: repair.runId,
            repairId: repair.id,
            version: version.number,
          };
        }
      }
    } catch (error) {
      if (error instanceof NotFoundError) {
        this.logger.warn(`${topic} ${subjectId}: nothing to notify about (${error.message})`);
        return null;
      }
      throw error;
    }
  }
}
