import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './retry-delay';
import type { BackoffPolicy } from './retry-delay';

const noJitter: BackoffPolicy = { baseMs: 1000, maxMs: 300_000, jitter: false };
const jitter: BackoffPolicy = { ...noJitter, jitter: true };

/** A seeded generator, so "random" runs repeat exactly. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('retryDelayMs', () => {
  it('doubles from baseMs without jitter', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(noJitter, n))).toEqual([1000, 2000, 4000, 8000, 16_000]);
  });

  it('caps at maxMs, also for attempt numbers that overflow 2^n', () => {
    const policy = { baseMs: 1000, maxMs: 10_000, jitter: false };
    expect(retryDelayMs(policy, 4)).toBe(8000);
    expect(retryDelayMs(policy, 5)).toBe(10_000);
    expect(retryDelayMs(policy, 2000)).toBe(10_000);
    expect(retryDelayMs({ ...policy, jitter: true }, 2000, () => 0.999)).toBeLessThanOrEqual(10_000);
  });

  it('keeps equal jitter within [d/2, d]', () => {
    for (let n = 1; n <= 12; n++) {
      const d = Math.min(300_000, 1000 * 2 ** (n - 1));
      expect(retryDelayMs(jitter, n, () => 0)).toBe(d / 2);
      expect(retryDelayMs(jitter, n, () => 0.999999)).toBeLessThanOrEqual(d);
      expect(retryDelayMs(jitter, n, () => 0.999999)).toBeGreaterThanOrEqual(d - 1);
      expect(retryDelayMs(jitter, n, () => 0.5)).toBe(0.75 * d);
    }
  });

  it('grows with every retry until the cap, whatever the random draw', () => {
    const random = seeded(42);
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(jitter, n, random));
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] ?? 0);
    // The worst case: the highest draw on retry n and the lowest on n + 1 still do not shrink.
    expect(retryDelayMs(jitter, 3, () => 0)).toBeGreaterThanOrEqual(retryDelayMs(jitter, 2, () => 0.999999));
  });

  it('grows on average', () => {
    const mean = (n: number) => {
      const random = seeded(n);
      let sum = 0;
      for (let i = 0; i < 500; i++) sum += retryDelayMs(jitter, n, random);
      return sum / 500;
    };
    expect(mean(2)).toBeGreaterThan(mean(1));
    expect(mean(5)).toBeGreaterThan(mean(4));
  });

  it('is deterministic with an injected random source', () => {
    const a = [1, 2, 3, 4].map((n) => retryDelayMs(jitter, n, seeded(7)));
    const b = [1, 2, 3, 4].map((n) => retryDelayMs(jitter, n, seeded(7)));
    expect(a).toEqual(b);
    expect(a.every(Number.isInteger)).toBe(true);
  });

  it('never returns a negative or fractional delay, whatever it is given', () => {
    const odd: Array<[BackoffPolicy, number, () => number]> = [
      [{ baseMs: -5, maxMs: 100, jitter: true }, 1, () => 0.5],
      [{ baseMs: 100, maxMs: -1, jitter: false }, 3, Math.random],
      [{ baseMs: Number.NaN, maxMs: Number.NaN, jitter: true }, 2, () => 0.5],
      [{ baseMs: 333, maxMs: 10_000, jitter: true }, 0, () => -3],
      [{ baseMs: 333, maxMs: 10_000, jitter: true }, Number.NaN, () => Number.NaN],
      [{ baseMs: 333, maxMs: 10_000, jitter: true }, -4, () => 7],
    ];
    for (const [policy, n, random] of odd) {
      const delay = retryDelayMs(policy, n, random);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(delay)).toBe(true);
    }
    expect(retryDelayMs({ baseMs: 333, maxMs: 10_000, jitter: false }, 0)).toBe(333);
    expect(retryDelayMs({ baseMs: 0, maxMs: 10_000, jitter: true }, 5)).toBe(0);
  });

  it('lets maxMs below baseMs win', () => {
    expect(retryDelayMs({ baseMs: 5000, maxMs: 1000, jitter: false }, 1)).toBe(1000);
  });
});
