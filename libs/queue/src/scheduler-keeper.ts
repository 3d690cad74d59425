import type { Queue } from 'bullmq';

export interface KeptScheduler {
  /** The job scheduler's id (every worker upserts the same one). */
  id: string;
  /** What it is, for the log line when it had to be written again. */
  label: string;
  /** Upserts it (idempotent). */
  write(): Promise<void>;
}

/**
 * Keeps one cluster-wide BullMQ job scheduler in Redis. A scheduler lives in Redis only, so a Redis
 * that lost its data (restarted with nothing kept on disk, flushed) lost it too, and with it every
 * pass it would have started: each worker writes it at start and then checks for it on a timer of
 * its own, writing it again when it is gone.
 */
export class JobSchedulerKeeper {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly queue: Pick<Queue, 'getJobScheduler'>,
    private readonly scheduler: KeptScheduler,
    private readonly logger: { warn(message: string): void },
  ) {}

  /** Writes the scheduler now, then checks for it every `checkEveryMs`. */
  async start(checkEveryMs: number): Promise<void> {
    await this.scheduler.write();
    this.timer = setInterval(() => void this.check(), checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Writes the scheduler when Redis no longer has it; true when it did. Never rejects: Redis being
   * down is logged and the next tick tries again (a tick while one is under way is skipped).
   */
  async check(): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      if (await this.queue.getJobScheduler(this.scheduler.id)) return false;
      await this.scheduler.write();
      this.logger.warn(`${this.scheduler.label} had no job scheduler (Redis lost its data?); wrote it again`);
      return true;
    } catch (error) {
      this.logger.warn(
        `could not check the job scheduler of ${this.scheduler.label}: ${(error as Error).message}`,
      );
      return false;
    } finally {
      this.checking = false;
    }
  }
}
