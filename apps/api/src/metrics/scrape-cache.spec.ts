import { describe, expect, it } from 'vitest';
import { ScrapeCache } from './scrape-cache';

describe('ScrapeCache', () => {
  it('serves one read for the TTL, shares it with concurrent scrapes, then reads again', async () => {
    let clock = 1000;
    let reads = 0;
    const cache = new ScrapeCache(
      async () => ++reads,
      5000,
      () => clock,
    );
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect([a, b, reads]).toEqual([1, 1, 1]);
    clock += 4999;
    expect(await cache.get()).toBe(1);
    clock += 1;
    expect(await cache.get()).toBe(2);
  });

  it('keeps no failed read: the next scrape tries again', async () => {
    let fail = true;
    const cache = new ScrapeCache(
      async () => {
        if (fail) throw new Error('Redis is away');
        return 'ok';
      },
      5000,
      () => 0,
    );
    await expect(cache.get()).rejects.toThrow('Redis is away');
    fail = false;
    expect(await cache.get()).toBe('ok');
  });
});
