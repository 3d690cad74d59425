import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { RunStatus } from '@mendflow/common';
import type { RunEventRecord, TransitionResult } from '@mendflow/db';
import { LiveEventsPublisher } from '@mendflow/events';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';

/**
 * Publishes what the worker appended to PostgreSQL to dashboards, through Redis (any API replica
 * delivers it). PostgreSQL stays the source of truth: a lost publish is caught up from the events table.
 */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private readonly logger = new Logger('LiveEvents');
  private readonly publisher: LiveEventsPublisher;

  constructor(@Inject(WORKER_CONFIG) config: WorkerConfig) {
    this.publisher = new LiveEventsPublisher(config.REDIS_URL);
  }

  event(event: RunEventRecord & { automationId: string }): void {
    this.guard(() => this.publisher.publishRunEvent(event));
  }

  status(status: { runId: string; workspaceId: string; automationId: string; status: RunStatus }): void {
    this.guard(() => this.publisher.publishRunStatus(status));
  }

  /** A state change: its event, the new status, and the inbox item it opened, if any. */
  transition(transition: TransitionResult | null): void {
    if (!transition) return;
    const { runId, workspaceId, automationId, status, inboxItemId } = transition;
    this.event({ ...transition.event, automationId });
    this.status({ runId, workspaceId, automationId, status });
    if (inboxItemId) this.guard(() => this.publisher.publishInboxItem(workspaceId, { id: inboxItemId, runId, automationId }));
  }

  private guard(publish: () => void): void {
    try {
      publish();
    } catch (error) {
      this.logger.warn(`live event not published: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }
}
