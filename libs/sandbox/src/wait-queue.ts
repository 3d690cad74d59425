/**
 * A first-come, first-served line for something scarce (an isolate, a sandbox process). A waiter
 * whose abort signal fires leaves the line and gets undefined; `clear` sends everyone away the same way.
 */
export interface Waiter<T, M> {
  readonly meta: M;
  resolve(value: T | undefined): void;
}

export class WaitQueue<T, M = undefined> {
  private readonly waiters: Waiter<T, M>[] = [];

  wait(meta: M, signal?: AbortSignal): Promise<T | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter<T, M> = {
        meta,
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** The first waiter, taken out of the line (the caller resolves it). */
  shift(): Waiter<T, M> | undefined {
    return this.waiters.shift();
  }

  clear(): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve(undefined);
  }

  get length(): number {
    return this.waiters.length;
  }
}
