/**
 * How long to wait before retrying a transient failure, per the manifest's retry.backoff.
 *
 * Exponential: base·2^(n−1) for retry n, capped at maxMs. With jitter, EQUAL jitter: half of that delay
 * is fixed and the other half random, so the delay lies in [d/2, d]. Chosen over full jitter ([0, d])
 * because it still spreads retries of many runs apart, yet each retry waits at least as long as the one
 * before could at most (until the cap): a person reading the timeline sees growing delays, and a
 * struggling service is never hit again almost at once.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  jitter: boolean;
}

/**
 * @param attemptNumber 1 for the first retry (the delay after attempt 1 failed), 2 for the second …;
 *   values below 1 or not numbers count as 1.
 * @param random returns [0, 1); injected so tests and replays are deterministic.
 * @returns whole milliseconds, never negative.
 */
export function retryDelayMs(
  policy: BackoffPolicy,
  attemptNumber: number,
  random: () => number = Math.random,
): number {
  const base = nonNegative(policy.baseMs);
  const cap = nonNegative(policy.maxMs);
  const n = Number.isFinite(attemptNumber) ? Math.max(1, Math.floor(attemptNumber)) : 1;
  // 2^(n−1) overflows to Infinity for large n, and min() then yields the cap, as it should.
  const delay = Math.min(cap, base * 2 ** (n - 1));
  if (!policy.jitter) return Math.floor(delay);
  const half = delay / 2;
  return Math.floor(half + unit(random()) * half);
}

function nonNegative(value: number): number {
  return Number.isNaN(value) || value < 0 ? 0 : value;
}

/** Clamps a misbehaving random source so the delay stays within [d/2, d]. */
function unit(value: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return Math.min(value, 1);
}
