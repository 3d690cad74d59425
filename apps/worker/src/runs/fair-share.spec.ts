import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadWorkerConfig } from '../config/worker-config';
import { automationSlots, deferralDelayMs, FairShare, fairShareKey } from './fair-share';

const A = 'automation-a';
const B = 'automation-b';

describe('FairShare', () => {
  it('gives a key slots up to its share, and other keys theirs regardless', () => {
    const share = new FairShare(2);
    expect(share.tryAcquire(A)).toBeTypeOf('function');
    expect(share.tryAcquire(A)).toBeTypeOf('function');
    expect(share.tryAcquire(A)).toBeUndefined();
    expect(share.tryAcquire(B)).toBeTypeOf('function');
    expect(share.held(A)).toBe(2);
    expect(share.held(B)).toBe(1);
  });

  it('frees a slot on release, and a second release of the same slot frees nothing more', () => {
    const share = new FairShare(2);
    const first = share.tryAcquire(A)!;
    share.tryAcquire(A);
    first();
    first();
    expect(share.held(A)).toBe(1);
    expect(share.tryAcquire(A)).toBeTypeOf('function');
    expect(share.tryAcquire(A)).toBeUndefined();
  });

  it('acquire() goes past the share, and the count comes back down when those slots are released', () => {
    const share = new FairShare(1);
    const within = share.tryAcquire(A)!;
    const past = share.acquire(A);
    expect(share.held(A)).toBe(2);
    past();
    within();
    expect(share.held(A)).toBe(0);
    expect(share.tryAcquire(A)).toBeTypeOf('function');
  });

  describe('acquireWithin: a job over the share waits a moment for its own automation', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('gets the slot one of its attempts frees, in the order the jobs came', async () => {
      vi.useFakeTimers();
      const share = new FairShare(1);
      const running = share.tryAcquire(A)!;
      const order: string[] = [];
      const first = share.acquireWithin(A, 100).then((release) => (order.push('first'), release));
      const second = share.acquireWithin(A, 100).then((release) => (order.push('second'), release));
      await vi.advanceTimersByTimeAsync(10);
      expect(order).toEqual([]);
      running();
      const firstRelease = await first;
      expect(firstRelease).toBeTypeOf('function');
      expect(share.held(A)).toBe(1);
      firstRelease!();
      expect(await second).toBeTypeOf('function');
      expect(order).toEqual(['first', 'second']);
      expect(share.held(A)).toBe(1);
    });

    it('gives up after its patience, holding nothing, and another automation never waits', async () => {
      vi.useFakeTimers();
      const share = new FairShare(1);
      const running = share.tryAcquire(A)!;
      const waiting = share.acquireWithin(A, 100);
      expect(await share.acquireWithin(B, 100)).toBeTypeOf('function');
      await vi.advanceTimersByTimeAsync(100);
      expect(await waiting).toBeUndefined();
      running();
      expect(share.held(A)).toBe(0); // the job that gave up was not handed the freed slot
      expect(await share.acquireWithin(A, 0)).toBeTypeOf('function');
    });
  });
});

describe('automationSlots', () => {
  it('is the share of the concurrency, rounded down', () => {
    expect(automationSlots(8, 0.75)).toBe(6);
    expect(automationSlots(16, 0.75)).toBe(12);
    expect(automationSlots(4, 0.5)).toBe(2);
    expect(automationSlots(10, 0.33)).toBe(3);
  });

  it('is at least one slot, and never every slot when there are several', () => {
    expect(automationSlots(8, 0.01)).toBe(1);
    expect(automationSlots(8, 1)).toBe(7);
    expect(automationSlots(2, 0.75)).toBe(1);
    expect(automationSlots(1, 0.75)).toBe(1);
  });

  it('defaults to 6 of 8 slots', () => {
    const config = loadWorkerConfig({
      DATABASE_URL: 'postgresql://localhost/mendflow',
      REDIS_URL: 'redis://localhost',
      MENDFLOW_SECRET_KEY: 'ab'.repeat(32),
    });
    expect(automationSlots(config.WORKER_CONCURRENCY, config.WORKER_AUTOMATION_SHARE)).toBe(6);
  });
});

describe('fairShareKey', () => {
  const workspaceId = '00000000-0000-4000-8000-000000000001';
  const automationId = '00000000-0000-4000-8000-000000000002';

  it('shares by automation, and by workspace for jobs queued before jobs named their automation', () => {
    expect(fairShareKey({ workspaceId, automationId })).toBe(`automation:${automationId}`);
    expect(fairShareKey({ workspaceId })).toBe(`workspace:${workspaceId}`);
  });
});

describe('deferralDelayMs', () => {
  it('doubles with each deferral up to 4 s, jittered between half and all of that', () => {
    expect([0, 1, 2, 3, 4, 10, 1000].map((n) => deferralDelayMs(n, () => 1))).toEqual([
      250, 500, 1000, 2000, 4000, 4000, 4000,
    ]);
    expect(deferralDelayMs(0, () => 0)).toBe(125);
    expect(deferralDelayMs(-1, () => 0.5)).toBe(188);
  });
});
