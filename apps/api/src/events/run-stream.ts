import type { RunEventMessage } from '@mendflow/events';

export interface RunStreamDeps {
  /** Stored events of the run with seq > afterSeq, in seq order, at most `limit` of them. */
  load(afterSeq: number, limit: number): Promise<RunEventMessage[]>;
  send(event: RunEventMessage): void;
  onError(error: unknown): void;
}

const PAGE_SIZE = 500;

/**
 * One socket's view of one run's timeline: every event after the seq it asked for, once each, in seq
 * order, whether it comes from PostgreSQL (catch-up, gap refill) or live from Redis.
 *
 * Everything for the run goes through one queue, so live events that arrive while the catch-up reads
 * PostgreSQL wait behind it instead of overtaking it; then anything at or below the last delivered seq
 * is dropped (it was in the catch-up, or is a repeated publish). A live event that skips ahead (a lost
 * or late publish from another process) makes the stream read the missing seqs from PostgreSQL first:
 * a run's seqs are contiguous there, and publishers only publish committed events.
 */
export class RunStream {
  private lastSeq: number;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    afterSeq: number,
    private readonly deps: RunStreamDeps,
  ) {
    this.lastSeq = afterSeq;
  }

  get lastDelivered(): number {
    return this.lastSeq;
  }

  /** Sends every stored event after the starting seq; resolves once they are all sent. */
  catchUp(): Promise<void> {
    return this.enqueue(() => this.fill());
  }

  /** A live event: delivered in order, at most once. */
  offer(event: RunEventMessage): void {
    void this.enqueue(async () => {
      if (event.seq <= this.lastSeq) return;
      if (event.seq > this.lastSeq + 1) await this.fill().catch((error: unknown) => this.deps.onError(error));
      if (event.seq > this.lastSeq) this.deliver(event);
    }).catch(() => undefined);
  }

  /** Runs `task` after everything queued so far (a status change belongs after the events before it). */
  after(task: () => void): void {
    void this.enqueue(async () => task()).catch(() => undefined);
  }

  /** Stops delivering (unsubscribed, replaced or disconnected); queued work becomes a no-op. */
  close(): void {
    this.closed = true;
  }

  private async fill(): Promise<void> {
    for (;;) {
      const page = await this.deps.load(this.lastSeq, PAGE_SIZE);
      for (const event of page) {
        if (event.seq > this.lastSeq) this.deliver(event);
      }
      if (page.length < PAGE_SIZE || this.closed) return;
    }
  }

  private deliver(event: RunEventMessage): void {
    if (this.closed) return;
    this.lastSeq = event.seq;
    this.deps.send(event);
  }

  /** Chains `task` after the previous one; a failure is reported to the caller and `onError`, never blocks the queue. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.tail.then(() => (this.closed ? undefined : task()));
    this.tail = run.catch((error: unknown) => this.deps.onError(error));
    return run;
  }
}
