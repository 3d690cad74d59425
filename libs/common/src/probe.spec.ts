import { describe, expect, it } from 'vitest';
import { probe } from './probe';

describe('probe', () => {
  it('is true when the check resolves, false when it rejects or outlasts the timeout', async () => {
    expect(await probe(async () => 'pong', 1000)).toBe(true);
    expect(await probe(async () => Promise.reject(new Error('refused')), 1000)).toBe(false);
    expect(await probe(() => new Promise(() => undefined), 20)).toBe(false);
  });
});
