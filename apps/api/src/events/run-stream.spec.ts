import type { RunEventMessage } from '@mendflow/events';
import { describe, expect, it } from 'vitest';
import { RunStream } from './run-stream';

const event = (seq: number): RunEventMessage => ({
  runId: 'r',
  automationId: 'a',
  workspaceId: 'w',
  seq,
  type: `e${seq}`,
  data: {},
  createdAt: new Date(0).toISOString(),
});

/** A store holding seqs 1..stored, which the test can grow, and a gate to hold a read mid-flight. */
function harness(stored: number) {
  const state = { stored, reads: 0, gate: Promise.resolve() };
  const sent: number[] = [];
  const errors: unknown[] = [];
  const deps = {
    async load(afterSeq: number, limit: number) {
      state.reads += 1;
      const upTo = state.stored;
      await state.gate;
      const events: RunEventMessage[] = [];
      for (let seq = afterSeq + 1; seq <= upTo && events.length < limit; seq += 1) events.push(event(seq));
      return events;
    },
    send: (e: RunEventMessage) => sent.push(e.seq),
    onError: (error: unknown) => errors.push(error),
  };
  return { state, sent, errors, deps };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('RunStream', () => {
  it('catches up from the stored events after the given seq', async () => {
    const h = harness(5);
    await new RunStream(2, h.deps).catchUp();
    expect(h.sent).toEqual([3, 4, 5]);
  });

  it('holds live events that arrive during the catch-up behind it, and drops the ones it already sent', async () => {
    const h = harness(4);
    let open!: () => void;
    h.state.gate = new Promise((resolve) => (open = resolve));
    const stream = new RunStream(0, h.deps);
    const caughtUp = stream.catchUp();
    // Committed and published while the read of 1..4 is in flight.
    h.state.stored = 6;
    stream.offer(event(4));
    stream.offer(event(5));
    stream.offer(event(6));
    open();
    await caughtUp;
    await settle();
    expect(h.sent).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('delivers a repeated publish once', async () => {
    const h = harness(0);
    const stream = new RunStream(0, h.deps);
    await stream.catchUp();
    stream.offer(event(1));
    stream.offer(event(1));
    stream.offer(event(2));
    await settle();
    expect(h.sent).toEqual([1, 2]);
  });

  it('refills a gap from the store when a live event skips ahead', async () => {
    const h = harness(2);
    const stream = new RunStream(0, h.deps);
    await stream.catchUp();
    h.state.stored = 5; // 3 and 4 were published by a process whose message was lost
    stream.offer(event(5));
    stream.offer(event(4));
    await settle();
    expect(h.sent).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads long timelines page by page', async () => {
    const h = harness(1234);
    await new RunStream(0, h.deps).catchUp();
    expect(h.sent).toHaveLength(1234);
    expect(h.sent.at(-1)).toBe(1234);
    expect(h.state.reads).toBe(3);
  });

  it('keeps a status message after the events queued before it', async () => {
    const h = harness(0);
    const order: string[] = [];
    const stream = new RunStream(0, { ...h.deps, send: (e) => order.push(`event ${e.seq}`) });
    stream.offer(event(1));
    stream.after(() => order.push('status'));
    await settle();
    expect(order).toEqual(['event 1', 'status']);
  });

  it('sends nothing once closed', async () => {
    const h = harness(3);
    const stream = new RunStream(0, h.deps);
    stream.close();
    await stream.catchUp();
    stream.offer(event(4));
    await settle();
    expect(h.sent).toEqual([]);
  });

  it('reports a failed read to the subscriber and keeps serving live events', async () => {
    const h = harness(0);
    const stream = new RunStream(0, { ...h.deps, load: () => Promise.reject(new Error('database down')) });
    await expect(stream.catchUp()).rejects.toThrow('database down');
    stream.offer(event(1));
    await settle();
    expect(h.sent).toEqual([1]);
  });
});
