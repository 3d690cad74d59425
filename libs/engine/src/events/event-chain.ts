import { type EventPolicyCode, MAX_EVENT_CHAIN_DEPTH } from '@mendflow/contracts';

/** The run an event is emitted from, as far as its chain is concerned. */
export interface ChainSource {
  automationId: string;
  /** The automations the emitting run's chain passed through before it (its triggerContext), oldest first. */
  chain: readonly string[];
  depth: number;
}

export type ChainVerdict =
  | { ok: true; chain: string[]; depth: number }
  | { ok: false; code: EventPolicyCode; message: string; automations: string[] };

/**
 * Whether an event may be emitted, and the chain it carries. Decided before anything is stored, so a
 * refusal is a clear error at the emitter instead of a loop discovered runs later:
 *
 * - from outside (no source) there is no chain: depth 0;
 * - a run whose chain already holds `maxDepth` automations cannot emit (EVENT_CHAIN_TOO_DEEP);
 * - a subscriber that is already in the chain, or is the emitting automation itself, would start a
 *   cycle (EVENT_CYCLE). The whole emit is refused, not just that subscriber's run: an event is one fact,
 *   and delivering it to some subscribers only would make the outcome depend on who listens and hide
 *   the loop.
 *
 * `names` only makes messages readable (automation names instead of ids).
 */
export function decideEmit(input: {
  name: string;
  source?: ChainSource;
  subscribers: readonly string[];
  names?: ReadonlyMap<string, string>;
  maxDepth?: number;
}): ChainVerdict {
  const { source } = input;
  if (!source) return { ok: true, chain: [], depth: 0 };
  const maxDepth = input.maxDepth ?? MAX_EVENT_CHAIN_DEPTH;
  const label = (id: string) => {
    const name = input.names?.get(id);
    return name ? `"${name}"` : id;
  };
  const chain = [...source.chain, source.automationId];
  if (source.chain.length >= maxDepth) {
    return {
      ok: false,
      code: 'EVENT_CHAIN_TOO_DEEP',
      message: `ctx.emit("${input.name}") refused: this run is ${source.chain.length} automations deep in an event chain (${chain.map(label).join(' → ')}), and a chain may pass through at most ${maxDepth}`,
      automations: chain,
    };
  }
  const looping = [...new Set(input.subscribers.filter((id) => chain.includes(id)))];
  if (looping.length > 0) {
    return {
      ok: false,
      code: 'EVENT_CYCLE',
      message: `ctx.emit("${input.name}") refused: it would start ${looping.map(label).join(', ')} again, which ${looping.length === 1 ? 'is' : 'are'} already in this event chain (${chain.map(label).join(' → ')}): an event cycle`,
      automations: looping,
    };
  }
  return { ok: true, chain, depth: source.depth + 1 };
}
