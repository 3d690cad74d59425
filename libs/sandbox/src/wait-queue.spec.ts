import { describe, expect, it } from 'vitest';
import { WaitQueue } from './wait-queue';

describe('WaitQueue', () => {
  it('serves waiters first come, first served, with what each asked for', async () => {
    const queue = new WaitQueue<string, number>();
    const first = queue.wait(1);
    const second = queue.wait(2);
    const a = queue.shift();
    const b = queue.shift();
    expect([a?.meta, b?.meta]).toEqual([1, 2]);
    b?.resolve('second');
    a?.resolve('first');
    expect(await Promise.all([first, second])).toEqual(['first', 'second']);
    expect(queue.shift()).toBeUndefined();
  });

  it('lets an aborted waiter leave the line with undefined, and clear sends everyone away', async () => {
    const queue = new WaitQueue<string>();
    const controller = new AbortController();
    const leaving = queue.wait(undefined, controller.signal);
    const staying = queue.wait(undefined);
    controller.abort();
    expect(await leaving).toBeUndefined();
    expect(queue.length).toBe(1);
    expect(await queue.wait(undefined, AbortSignal.abort())).toBeUndefined();
    queue.clear();
    expect(await staying).toBeUndefined();
    expect(queue.length).toBe(0);
  });
});
