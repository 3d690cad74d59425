/**
 * Warm isolates, one attempt at a time each. A new isolate costs ~2.4 ms, a new context on a warm one
 * well under 1 ms, so isolates are kept and every attempt gets a fresh context (nothing of one run's
 * globals survives into the next). An isolate is dropped after a limit breach (it may have been
 * terminated mid-task or be full of garbage), after `maxRuns` attempts, and whenever an attempt could
 * not prove it left nothing running.
 *
 * `size` bounds concurrent attempts and live isolates together: attempts beyond it wait their turn, so
 * the worst-case memory is size × the largest memory limit.
 */
import ivm from 'isolated-vm';
import { BOOTSTRAP_FILENAME, BOOTSTRAP_SOURCE } from './bootstrap';
import { WaitQueue } from './wait-queue';

export interface PooledIsolate {
  readonly isolate: ivm.Isolate;
  readonly memoryMb: number;
  /** The bootstrap, compiled once per isolate and run in each new context. */
  readonly bootstrap: ivm.Script;
  runs: number;
  /** The next attempt's context, prepared while the isolate waits (see takeContext). */
  spare?: PreparedContext;
}

/** A fresh context with the bootstrap run in it; `setup` builds ctx for one attempt. */
export interface PreparedContext {
  context: ivm.Context;
  setup: ivm.Reference<(send: unknown, config: string) => unknown>;
}

export interface PoolOptions {
  size: number;
  maxRunsPerIsolate: number;
  onCatastrophicError: (message: string) => void;
}

export class IsolatePool {
  private readonly idle: PooledIsolate[] = [];
  /** Attempts waiting for a free slot, with the memory limit each needs. */
  private readonly waiters = new WaitQueue<PooledIsolate, number>();
  private busy = 0;
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  /** An isolate with the given memory limit, or undefined when the signal aborts or the pool closes first. */
  acquire(memoryMb: number, signal?: AbortSignal): Promise<PooledIsolate | undefined> {
    if (this.closed || signal?.aborted) return Promise.resolve(undefined);
    if (this.busy < this.options.size) {
      this.busy++;
      try {
        return Promise.resolve(this.take(memoryMb));
      } catch (error) {
        this.busy--;
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return this.waiters.wait(memoryMb, signal);
  }

  /** Gives an isolate back; `reusable` false (or too many runs) disposes it instead of keeping it warm. */
  release(pooled: PooledIsolate, reusable: boolean): void {
    this.busy--;
    pooled.runs++;
    if (
      reusable &&
      !this.closed &&
      !pooled.isolate.isDisposed &&
      pooled.runs < this.options.maxRunsPerIsolate
    ) {
      this.idle.push(pooled);
      this.prepareSpare(pooled);
    } else {
      dispose(pooled);
    }
    const next = this.waiters.shift();
    if (next) {
      this.busy++;
      try {
        next.resolve(this.take(next.meta));
      } catch {
        // No isolate could be created (the process is out of memory): that attempt fails as cancelled
        // rather than waiting forever.
        this.busy--;
        next.resolve(undefined);
      }
    }
  }

  close(): void {
    this.closed = true;
    this.waiters.clear();
    for (const pooled of this.idle.splice(0)) dispose(pooled);
  }

  /**
   * Makes the next attempt's context once this turn of the event loop is over, so the attempt just
   * released hands its result over first. Synchronously: an async isolated-vm call costs two thread
   * hops, about 0.1 ms of CPU more per context than the sync one (bench:sandbox), and this work is
   * bounded (a context and the bootstrap, no script code), so it may hold the event loop for its
   * fraction of a millisecond. An isolate taken by then makes its own context (takeContext).
   */
  private prepareSpare(pooled: PooledIsolate): void {
    setImmediate(() => {
      if (this.closed || pooled.spare || pooled.isolate.isDisposed || !this.idle.includes(pooled)) return;
      try {
        pooled.spare = makeContext(pooled);
      } catch {
        // A context did not fit (the isolate hit its memory limit): drop the isolate, so the next
        // attempt gets a new one instead of failing on this one.
        this.idle.splice(this.idle.indexOf(pooled), 1);
        dispose(pooled);
      }
    });
  }

  get stats(): { idle: number; busy: number; waiting: number } {
    return { idle: this.idle.length, busy: this.busy, waiting: this.waiters.length };
  }

  private take(memoryMb: number): PooledIsolate {
    // Most recently used first: its code caches and heap are the warmest.
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const candidate = this.idle[i] as PooledIsolate;
      if (candidate.memoryMb === memoryMb) {
        this.idle.splice(i, 1);
        return candidate;
      }
    }
    // Keep the number of live isolates within size: make room by dropping the least recently used.
    while (this.idle.length > 0 && this.idle.length + this.busy > this.options.size)
      dispose(this.idle.shift() as PooledIsolate);
    return this.create(memoryMb);
  }

  private create(memoryMb: number): PooledIsolate {
    const isolate = new ivm.Isolate({
      memoryLimit: memoryMb,
      onCatastrophicError: this.options.onCatastrophicError,
    });
    const bootstrap = isolate.compileScriptSync(BOOTSTRAP_SOURCE, { filename: BOOTSTRAP_FILENAME });
    return { isolate, memoryMb, bootstrap, runs: 0 };
  }
}

/**
 * A new context with the bootstrap run in it: about half a millisecond of CPU, the largest single part
 * of an attempt. Nothing has run in it but the bootstrap; every attempt gets its own.
 */
function makeContext(pooled: PooledIsolate): PreparedContext {
  const context = pooled.isolate.createContextSync();
  try {
    const setup = pooled.bootstrap.runSync(context, { reference: true }) as PreparedContext['setup'];
    return { context, setup };
  } catch (error) {
    context.release();
    throw error;
  }
}

/** The prepared context when there is one (made while the isolate was idle), else a new one made now. */
export function takeContext(pooled: PooledIsolate): PreparedContext {
  const spare = pooled.spare;
  pooled.spare = undefined;
  return spare ?? makeContext(pooled);
}

function dispose(pooled: PooledIsolate): void {
  if (pooled.isolate.isDisposed) return;
  const spare = pooled.spare;
  pooled.spare = undefined;
  try {
    spare?.setup.release();
    spare?.context.release();
  } catch {
    // Handles of an isolate being disposed: disposing it frees them anyway.
  }
  try {
    pooled.bootstrap.release();
    pooled.isolate.dispose();
  } catch {
    // Already gone (disposed by a memory breach between the check and the call): nothing to free.
  }
}
