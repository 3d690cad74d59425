import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CANCEL_CHANNEL, reportConnectionTrouble } from '@mendflow/queue';
import { Redis } from 'ioredis';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-config';

/**
 * Stops a running attempt promptly when its run is cancelled: the API publishes the run id, and the
 * worker that runs it aborts the sandbox (the others have nothing to abort).
 */
@Injectable()
export class CancellationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Cancellation');
  private readonly running = new Map<string, AbortController>();
  private subscriber?: Redis;

  constructor(@Inject(WORKER_CONFIG) private readonly config: WorkerConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscriber = new Redis(this.config.REDIS_URL, { maxRetriesPerRequest: null });
    // It resubscribes by itself once Redis is back; a cancel published meanwhile is caught by the
    // attempt's settle (the run is no longer running), only later.
    reportConnectionTrouble(this.subscriber, (message) =>
      this.logger.warn(`cancel channel: ${message}; reconnecting`),
    );
    this.subscriber.on('message', (_channel: string, runId: string) => {
      const controller = this.running.get(runId);
      if (controller) {
        this.logger.log(`cancelling the running attempt of run ${runId}`);
        controller.abort();
      }
    });
    await this.subscriber.subscribe(CANCEL_CHANNEL);
  }

  /** Registers an attempt; the returned signal aborts when its run is cancelled. */
  track(runId: string): { signal: AbortSignal; done: () => void } {
    const controller = new AbortController();
    this.running.set(runId, controller);
    return { signal: controller.signal, done: () => this.running.delete(runId) };
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }
}
