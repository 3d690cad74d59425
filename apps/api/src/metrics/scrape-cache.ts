/**
 * A value read at scrape time and reused for `ttlMs`: Prometheus (several of them, or several API
 * replicas behind one scrape target) may scrape often, and each read costs PostgreSQL or Redis a few
 * queries. Concurrent scrapes share the read in flight; a failed read is not kept, so the next scrape
 * tries again.
 */
export class ScrapeCache<T> {
  private entry: { at: number; value: Promise<T> } | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    const at = this.now();
    if (this.entry && at - this.entry.at < this.ttlMs) return this.entry.value;
    const value = this.read();
    const entry = { at, value };
    this.entry = entry;
    value.catch(() => {
      if (this.entry === entry) this.entry = undefined;
    });
    return value;
  }
}
