import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { RunStatus } from '@mendflow/common';
import type { RunEventRecord, TransitionResult } from '@mendflow/db';
import { LiveEventsPublisher } from '@mendflow/events';
import { API_CONFIG, type ApiConfig } from '../config/api-config';

/**
 * Publishes what the API itself appended to a run's timeline (a run queued, cancelled, retried) to every
 * API replica's sockets, the same way the worker does. Call it after the change is committed; a publish
 * that fails is logged and otherwise harmless, since clients catch up from PostgreSQL by seq.
 */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private readonly logger = new Logger('LiveEvents');
  private readonly publisher: LiveEventsPublisher;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.publisher = new LiveEventsPublisher(config.REDIS_URL, {
      onError: (error) => this.logger.warn(`live event not published: ${error.message}`),
    });
  }

  event(event: RunEventRecord & { automationId: string }): void {
    this.publisher.publishRunEvent(event);
  }

  status(status: { runId: string; workspaceId: string; automationId: string; status: RunStatus }): void {
    this.publisher.publishRunStatus(status);
  }

  /** A state change: its event, the run's new status, and the inbox item it opened, if any. */
  transition(transition: TransitionResult | null): void {
    if (!transition) return;
    const { runId, workspaceId, automationId, status, inboxItemId } = transition;
    this.event({ ...transition.event, automationId });
    this.status({ runId, workspaceId, automationId, status });
    if (inboxItemId) this.publisher.publishInboxItem(workspaceId, { id: inboxItemId, runId, automationId });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }
}
