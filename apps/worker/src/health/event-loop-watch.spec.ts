import { afterEach, describe, expect, it } from 'vitest';
import { EventLoopWatch } from './event-loop-watch';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let watch: EventLoopWatch | undefined;
afterEach(() => watch?.stop());

describe('EventLoopWatch', () => {
  it('reports a stall for a window or two after it ended, then forgets it', async () => {
    watch = new EventLoopWatch(300, 100);
    watch.start();
    await sleep(50); // the delay histogram measures from its first tick on
    expect(watch.check()).toMatchObject({ ok: true, thresholdMs: 300 });
    const until = Date.now() + 500;
    while (Date.now() < until) {
      // Hold the event loop.
    }
    await sleep(10);
    const stalled = watch.check();
    expect(stalled.ok).toBe(false);
    expect(stalled.maxDelayMs).toBeGreaterThanOrEqual(400);
    expect(stalled.reason).toMatch(/^the event loop stalled for \d+ ms \(threshold 300 ms\)$/);
    await sleep(350);
    expect(watch.check().ok).toBe(true);
  });
});
