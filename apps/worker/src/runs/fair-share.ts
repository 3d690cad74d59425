import type { RunJobPayload } from '@mendflow/queue';

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

/**
 * Counts this worker's running attempts per automation, so that one automation (a tenant's flood of
 * heavy runs) cannot take every sandbox slot and leave other tenants' runs waiting behind it. In
 * memory and per worker: a share of one worker's concurrency needs no coordination between workers,
 * and a worker that dies takes its counts with it.
 */
export class FairShare {
  private readonly running = new Map<string, number>();
  /** Jobs waiting, per automation, for one of its running attempts to end (acquireWithin). */
  private readonly waiting = new Map<string, Array<(release: Release) => void>>();

  constructor(readonly limit: number) {}

  /** A slot for `key` while it holds fewer than its share, else undefined. */
  tryAcquire(key: string): Release | undefined {
    return this.held(key) < this.limit ? this.acquire(key) : undefined;
  }

  /**
   * A slot for `key` now, or as soon as one of its own attempts ends within `patienceMs`; undefined
   * when none did. Waiting a moment costs less than putting the job back (three Redis round trips and
   * at least 250 ms), and most over-share moments are short: attempts of a busy automation end every
   * few milliseconds. The waiting job holds one of the worker's fetch slots meanwhile, so other
   * automations are kept waiting at most `patienceMs` by it.
   */
  acquireWithin(key: string, patienceMs: number): Promise<Release | undefined> {
    const now = this.tryAcquire(key);
    if (now || patienceMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const queue = this.waiting.get(key) ?? [];
      this.waiting.set(key, queue);
      const handOver = (release: Release) => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        const at = queue.indexOf(handOver);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0 && this.waiting.get(key) === queue) this.waiting.delete(key);
        resolve(undefined);
      }, patienceMs);
      queue.push(handOver);
    });
  }

  /** A slot even past the share: for a job that could not be put back and runs anyway. */
  acquire(key: string): Release {
    this.running.set(key, this.held(key) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.held(key) - 1;
      if (left > 0) this.running.set(key, left);
      else this.running.delete(key);
      this.handOver(key);
    };
  }

  held(key: string): number {
    return this.running.get(key) ?? 0;
  }

  /** The slot just freed goes to the automation's longest-waiting job, if one waits. */
  private handOver(key: string): void {
    const queue = this.waiting.get(key);
    if (!queue || this.held(key) >= this.limit) return;
    const next = queue.shift();
    if (queue.length === 0) this.waiting.delete(key);
    next?.(this.acquire(key));
  }
}

/**
 * Slots one automation may hold: `share` of the concurrency, rounded down, at least one, and, when
 * there is more than one slot, never all of them, so another automation's run can always start.
 */
export function automationSlots(concurrency: number, share: number): number {
  if (concurrency <= 1) return 1;
  return Math.min(concurrency - 1, Math.max(1, Math.floor(concurrency * share)));
}

/** Jobs queued by an older API have no automation id; their workspace shares in its place. */
export function fairShareKey(job: Pick<RunJobPayload, 'automationId' | 'workspaceId'>): string {
  return job.automationId ? `automation:${job.automationId}` : `workspace:${job.workspaceId}`;
}

const FIRST_DEFERRAL_MS = 250;
const LONGEST_DEFERRAL_MS = 4000;

/**
 * How long a job over its automation's share waits before it is offered again: short, so a slot that
 * frees up is soon used, but doubling with each deferral (250 ms … 4 s) so a deep backlog of one
 * automation is not cycled through Redis in a tight loop; jittered so a flood does not return in step.
 */
export function deferralDelayMs(deferrals: number, random: () => number = Math.random): number {
  const ceiling = Math.min(LONGEST_DEFERRAL_MS, FIRST_DEFERRAL_MS * 2 ** Math.max(0, deferrals));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
