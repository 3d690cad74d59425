/**
 * HostServices kept in memory: for tests, and for running a script where nothing durable should be
 * touched (a dry run). Values are stored as JSON copies, as a database would store them, so a script
 * can never observe its own objects coming back.
 */
import type { EmitRequest, HostServices } from './types';

export interface MemoryHost extends HostServices {
  readonly secretValues: Map<string, string>;
  readonly kvStore: Map<string, unknown>;
  readonly stepStore: Map<string, unknown>;
  /** Events emitted, by memo key: a second emit with a key returns the first one's result. */
  readonly emitted: Map<string, EmitRequest & { eventId: string }>;
}

export function createMemoryHost(
  seed: { secrets?: Record<string, string>; kv?: Record<string, unknown> } = {},
): MemoryHost {
  const secretValues = new Map(Object.entries(seed.secrets ?? {}));
  const kvStore = new Map<string, unknown>(Object.entries(seed.kv ?? {}).map(([k, v]) => [k, copy(v)]));
  const stepStore = new Map<string, unknown>();
  const emitted = new Map<string, EmitRequest & { eventId: string }>();
  return {
    secretValues,
    kvStore,
    stepStore,
    emitted,
    secrets: { get: async (name) => secretValues.get(name) },
    kv: {
      get: async (key) => copy(kvStore.get(key)),
      set: async (key, value) => {
        kvStore.set(key, copy(value));
      },
      delete: async (key) => {
        kvStore.delete(key);
      },
    },
    steps: {
      get: async (name) =>
        stepStore.has(name) ? { found: true, value: copy(stepStore.get(name)) } : { found: false },
      put: async (name, value) => {
        stepStore.set(name, copy(value));
      },
    },
    // Nothing subscribes in memory: an event is kept, and starts no run.
    events: {
      emit: async (request) => {
        let event = emitted.get(request.key);
        if (!event) {
          event = { ...request, payload: copy(request.payload), eventId: `memory-event-${emitted.size + 1}` };
          emitted.set(request.key, event);
        }
        return { ok: true, value: { eventId: event.eventId, runs: 0, skipped: [] } };
      },
    },
  };
}

function copy(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}
