import type { RunStatus } from '@mendflow/common';
import { ATTR, runAttributes, tracer } from '@mendflow/telemetry';
import { SpanKind } from '@opentelemetry/api';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import {
  EVENTS_NAMESPACE,
  type InboxItemSummary,
  LIVE_BATCH_EVENT,
  LIVE_ENVELOPE_EVENT,
  type LiveEnvelope,
  LiveMessages,
  runRooms,
} from './contract';

export interface PublishedRunEvent {
  runId: string;
  automationId: string;
  workspaceId: string;
  seq: number;
  type: string;
  data: unknown;
  createdAt: Date | string;
}

export interface PublishedRunStatus {
  runId: string;
  automationId: string;
  workspaceId: string;
  status: RunStatus;
}

/** A run state change as publishers describe it (the shape of @mendflow/db's TransitionResult). */
export interface PublishedTransition {
  runId: string;
  automationId: string;
  workspaceId: string;
  status: RunStatus;
  event: { seq: number; type: string; data: unknown; createdAt: Date | string };
  inboxItemId: string | null;
}

export interface LiveEventsPublisherOptions {
  /** Called when Redis refuses a publish; the default ignores it (PostgreSQL keeps the event). */
  onError?: (error: Error) => void;
}

/**
 * Publishes run events, statuses and inbox items to dashboards through Redis, with Socket.IO's Redis
 * emitter: any API replica (each running the Redis adapter) receives them and delivers to its sockets.
 *
 * Publishing is fire-and-forget and never throws or rejects: a lost message costs nothing durable, since
 * clients catch up from PostgreSQL by seq (and the gateway refills a gap it notices from there too).
 * Publish only after the change is committed, so a client that sees a seq can always read it back.
 */
export class LiveEventsPublisher {
  private readonly redis: Redis;
  private readonly emitter: Emitter;
  /** Envelopes published in this turn of the event loop, sent together once it ends (flush). */
  private pending: LiveEnvelope[] = [];

  constructor(redisUrl: string, options: LiveEventsPublisherOptions = {}) {
    const onError = options.onError ?? (() => undefined);
    // Few retries: a publish that cannot go out promptly is better dropped than delivered late.
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    this.redis.on('error', onError);
    // The emitter ignores the promise `publish` returns; catching here keeps a Redis outage from becoming
    // an unhandled rejection in the publishing process.
    const client = {
      publish: (channel: string, message: string | Buffer) =>
        this.redis.publish(channel, message).catch((error: unknown) => onError(error as Error)),
    };
    this.emitter = new Emitter(client).of(EVENTS_NAMESPACE);
  }

  publishRunEvent(event: PublishedRunEvent): void {
    const { runId, automationId, workspaceId, seq, type, data } = event;
    const createdAt = typeof event.createdAt === 'string' ? event.createdAt : event.createdAt.toISOString();
    // The publication of one stored event, as a span of the trace that stored it (the event's data stays out).
    const span = tracer.startSpan('publish run.event', {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'redis',
        'messaging.operation.type': 'send',
        ...runAttributes({ workspaceId, automationId, runId }),
        [ATTR.eventSeq]: seq,
        [ATTR.eventType]: type,
      },
    });
    this.send({
      rooms: runRooms(event),
      workspaceId,
      name: LiveMessages.runEvent,
      payload: { runId, automationId, workspaceId, seq, type, data, createdAt },
    });
    span.end();
  }

  publishRunStatus(status: PublishedRunStatus): void {
    const { runId, automationId, workspaceId } = status;
    this.send({
      rooms: runRooms(status),
      workspaceId,
      name: LiveMessages.runStatus,
      payload: { runId, automationId, status: status.status },
    });
  }

  /** An action-needed item was opened; `item` is at least `{ id, runId, automationId }`. */
  publishInboxItem(workspaceId: string, item: InboxItemSummary): void {
    this.send({
      rooms: runRooms({ runId: item.runId, automationId: item.automationId, workspaceId }),
      workspaceId,
      name: LiveMessages.inboxItem,
      payload: { ...item, workspaceId },
    });
  }

  /** A state change: its event, the run's new status, and the inbox item it opened; null is a no-op. */
  publishTransition(transition: PublishedTransition | null): void {
    if (!transition) return;
    const { runId, workspaceId, automationId, status, inboxItemId } = transition;
    this.publishRunEvent({ ...transition.event, runId, workspaceId, automationId });
    this.publishRunStatus({ runId, workspaceId, automationId, status });
    if (inboxItemId) this.publishInboxItem(workspaceId, { id: inboxItemId, runId, automationId });
  }

  /** Nest calls this on shutdown when the publisher is registered as a provider. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    this.flush();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /**
   * Queues the envelope for the end of this event-loop turn (setImmediate): the messages of a state
   * change, and under load those of many runs, then cost one Redis publish instead of one each. The
   * order is kept; the delay is the rest of the turn, well under a millisecond.
   */
  private send(envelope: LiveEnvelope): void {
    this.pending.push(envelope);
    if (this.pending.length === 1) setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    if (batch.length === 1) this.emitter.serverSideEmit(LIVE_ENVELOPE_EVENT, batch[0]);
    else this.emitter.serverSideEmit(LIVE_BATCH_EVENT, batch);
  };
}
