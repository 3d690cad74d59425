import { MAX_EVENT_CHAIN_DEPTH } from '@mendflow/contracts';
import { describe, expect, it } from 'vitest';
import { decideEmit } from './event-chain';

describe('decideEmit', () => {
  it('gives an event from outside an empty chain at depth 0', () => {
    expect(decideEmit({ name: 'order.created', subscribers: ['a', 'b'] })).toEqual({
      ok: true,
      chain: [],
      depth: 0,
    });
  });

  it('appends the emitter to its run chain and counts one level deeper', () => {
    const verdict = decideEmit({
      name: 'order.enriched',
      source: { automationId: 'b', chain: ['a'], depth: 1 },
      subscribers: ['c'],
    });
    expect(verdict).toEqual({ ok: true, chain: ['a', 'b'], depth: 2 });
  });

  it('refuses a subscriber already in the chain, naming it', () => {
    const verdict = decideEmit({
      name: 'ping',
      source: { automationId: 'd', chain: ['c'], depth: 1 },
      subscribers: ['c', 'x'],
      names: new Map([
        ['c', 'C'],
        ['d', 'D'],
      ]),
    });
    expect(verdict).toMatchObject({ ok: false, code: 'EVENT_CYCLE', automations: ['c'] });
    expect(verdict.ok === false && verdict.message).toBe(
      'ctx.emit("ping") refused: it would start "C" again, which is already in this event chain ("C" → "D"): an event cycle',
    );
  });

  it('refuses an automation that listens to its own event', () => {
    const verdict = decideEmit({
      name: 'tick',
      source: { automationId: 'a', chain: [], depth: 0 },
      subscribers: ['a'],
    });
    expect(verdict).toMatchObject({ ok: false, code: 'EVENT_CYCLE', automations: ['a'] });
  });

  it('lets a chain grow to the limit, and not past it', () => {
    const chain = Array.from({ length: MAX_EVENT_CHAIN_DEPTH - 1 }, (_, i) => `a${i}`);
    const last = decideEmit({
      name: 'next',
      source: { automationId: 'z', chain, depth: chain.length },
      subscribers: ['y'],
    });
    expect(last).toMatchObject({ ok: true, depth: MAX_EVENT_CHAIN_DEPTH });
    const tooDeep = decideEmit({
      name: 'next',
      source: { automationId: 'y', chain: [...chain, 'z'], depth: MAX_EVENT_CHAIN_DEPTH },
      subscribers: [],
    });
    expect(tooDeep).toMatchObject({ ok: false, code: 'EVENT_CHAIN_TOO_DEEP' });
    expect(tooDeep.ok === false && tooDeep.message).toMatch(/at most 8$/);
  });

  it('checks the depth before cycles', () => {
    expect(
      decideEmit({
        name: 'x',
        source: { automationId: 'b', chain: ['a'], depth: 1 },
        subscribers: ['a'],
        maxDepth: 1,
      }),
    ).toMatchObject({ code: 'EVENT_CHAIN_TOO_DEEP' });
  });
});
