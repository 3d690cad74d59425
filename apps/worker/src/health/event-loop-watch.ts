import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopCheck {
  ok: boolean;
  /** The longest delay seen over the last one or two windows. */
  maxDelayMs: number;
  thresholdMs: number;
  reason?: string;
}

/**
 * Watches the worker's event-loop delay. A loop held up (a synchronous copy of a huge value, a native
 * call that does not return soon) renews no BullMQ lock, hears no cancel and keeps every attempt on
 * this worker waiting; the liveness probe judges the longest delay of the last window or two (10–20 s
 * by default), so one stall is reported for a while after it ended but an old one is forgotten. A loop
 * blocked outright answers no probe at all, which the probe's own timeout turns into a failure.
 */
export class EventLoopWatch {
  private readonly histogram = monitorEventLoopDelay({ resolution: 20 });
  private previousMaxMs = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly thresholdMs: number,
    private readonly windowMs = 10_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.previousMaxMs = this.currentMaxMs();
      this.histogram.reset();
    }, this.windowMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram.disable();
  }

  check(): EventLoopCheck {
    const maxDelayMs = Math.round(Math.max(this.previousMaxMs, this.currentMaxMs()));
    const ok = maxDelayMs < this.thresholdMs;
    return {
      ok,
      maxDelayMs,
      thresholdMs: this.thresholdMs,
      ...(!ok && {
        reason: `the event loop stalled for ${maxDelayMs} ms (threshold ${this.thresholdMs} ms)`,
      }),
    };
  }

  /** The histogram counts nanoseconds, and reads 0 until its first sample. */
  private currentMaxMs(): number {
    return this.histogram.count > 0 ? this.histogram.max / 1e6 : 0;
  }
}
