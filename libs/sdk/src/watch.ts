import { isTerminal, type RunStatus } from '@mendflow/contracts';
import { io, type Socket } from 'socket.io-client';
import { MendflowApiError, type MendflowClient, unwrap } from './client';
import type { components } from './openapi';

/** Namespace of the API's live events (apps/api/src/events/live-events.gateway.ts). */
export const LIVE_NAMESPACE = '/events';

/** One timeline entry of a run; `seq` is strictly increasing per run (`createdAt` is ISO 8601). */
export type RunEvent = components['schemas']['RunEvent'];

/** A run as `GET /api/v1/runs/{id}` answers it. */
export type WatchedRun = components['schemas']['Run'];

export type Subscription =
  { runId: string; afterSeq?: number } | { automationId: string } | { workspace: true };

export type LiveMessage =
  | { name: 'run.event'; payload: RunEvent & { runId: string; automationId: string; workspaceId: string } }
  | { name: 'run.status'; payload: { runId: string; automationId: string; status: RunStatus } }
  | {
      name: 'inbox.item';
      payload: { id: string; runId: string; automationId: string; [field: string]: unknown };
    };

export interface LiveOptions {
  /** Where the API listens, e.g. `http://localhost:3001`. */
  baseUrl: string;
  /** An API key (`mf_…`), sent in the handshake's `auth.token`. */
  apiKey: string;
}

/**
 * A live connection to the API's `/events` namespace, authenticated by an API key. Subscriptions are sent
 * again after every reconnect (`subscription()` is read each time, so a run's can carry the last seq seen).
 * Resolves once connected; rejects with the gateway's refusal (e.g. UNAUTHENTICATED) if the first connect fails.
 */
export async function subscribe(
  options: LiveOptions & {
    subscription: () => Subscription;
    onMessage: (message: LiveMessage) => void;
    /** Called after each accepted (re)subscription, e.g. to read what may have been missed. */
    onSubscribed?: () => void;
    onError?: (error: Error) => void;
  },
): Promise<{ close(): void }> {
  const socket: Socket = io(`${options.baseUrl.replace(/\/+$/, '')}${LIVE_NAMESPACE}`, {
    auth: { token: options.apiKey },
    transports: ['websocket'],
    reconnection: true,
  });
  socket.onAny((name: string, payload: unknown) => {
    options.onMessage({ name, payload } as LiveMessage);
  });
  const subscribeNow = () => {
    socket
      .timeout(15_000)
      .emitWithAck('subscribe', options.subscription())
      .then((ack: { ok: boolean; error?: { code: string; message: string } }) => {
        if (ack?.ok) options.onSubscribed?.();
        else
          options.onError?.(
            new MendflowApiError(
              400,
              ack?.error?.code ?? 'SUBSCRIPTION_REFUSED',
              ack?.error?.message ?? 'refused',
            ),
          );
      })
      .catch(() => {
        // No ack in time: the connection is going down; the next 'connect' subscribes again.
      });
  };
  await new Promise<void>((resolve, reject) => {
    const first = (error: Error & { data?: { code?: string } }) => {
      socket.off('connect', connected);
      socket.close();
      const code = error.data?.code ?? 'UNAVAILABLE';
      reject(new MendflowApiError(code === 'UNAUTHENTICATED' ? 401 : 503, code, error.message));
    };
    const connected = () => {
      socket.off('connect_error', first);
      resolve();
    };
    socket.once('connect', connected);
    socket.once('connect_error', first);
  });
  socket.on('connect', subscribeNow);
  subscribeNow();
  return { close: () => socket.close() };
}

/** Why a watch ended: the run finished, or it rests until a person acts (an approval, an inbox item). */
export function isAtRest(run: Pick<WatchedRun, 'status'> & Partial<Pick<WatchedRun, 'waitingFor'>>): boolean {
  if (isTerminal(run.status) || run.status === 'action_needed') return true;
  return run.status === 'waiting' && run.waitingFor?.kind === 'approval';
}

export interface WatchRunOptions {
  onEvent?: (event: RunEvent) => void;
  onStatus?: (status: RunStatus) => void;
  signal?: AbortSignal;
  /** Start after this seq (0, the default, replays the whole timeline). */
  afterSeq?: number;
}

/** The most events `GET /api/v1/runs/{id}/events` answers at once. */
const EVENTS_PAGE_SIZE = 1000;

/** What watchRun needs of the REST API (the CLI passes one made from the typed client). */
export interface RunReader {
  getRun(runId: string): Promise<WatchedRun>;
  /** Events with seq > after, in seq order (one page). */
  listEvents(runId: string, after: number): Promise<RunEvent[]>;
}

/** A RunReader over the typed client. */
export function restRunReader(client: MendflowClient): RunReader {
  return {
    getRun: (id) => unwrap(client.GET('/api/v1/runs/{id}', { params: { path: { id } } })),
    listEvents: async (id, after) => {
      const page = await unwrap(
        client.GET('/api/v1/runs/{id}/events', { params: { path: { id }, query: { after } } }),
      );
      return page.items;
    },
  };
}

/**
 * Streams a run's timeline to `onEvent` — every event once, in seq order — and resolves with the run when
 * it rests (see {@link isAtRest}). The socket subscription replays what is stored after the last seq seen
 * before it acknowledges, and after each acknowledgement (and each status change) the run is read over
 * REST; when it rests, the timeline is read once more after the last seq, so nothing committed between
 * the subscription and the final read is missed.
 */
export async function watchRun(
  live: LiveOptions,
  reader: RunReader,
  runId: string,
  options: WatchRunOptions = {},
): Promise<WatchedRun> {
  let lastSeq = options.afterSeq ?? 0;
  let finishing = false;
  let connection: { close(): void } | undefined;
  let check: Promise<void> = Promise.resolve();

  return new Promise<WatchedRun>((resolve, reject) => {
    const finish = (error: unknown, run?: WatchedRun) => {
      if (finishing) return;
      finishing = true;
      connection?.close();
      options.signal?.removeEventListener('abort', aborted);
      if (run) resolve(run);
      else reject(error);
    };
    const aborted = () => finish(options.signal?.reason ?? new Error('aborted'));
    if (options.signal?.aborted) return aborted();
    options.signal?.addEventListener('abort', aborted, { once: true });

    const deliver = (event: RunEvent) => {
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      options.onEvent?.({ seq: event.seq, type: event.type, data: event.data, createdAt: event.createdAt });
    };
    const readMissing = async () => {
      for (;;) {
        const page = await reader.listEvents(runId, lastSeq);
        page.forEach(deliver);
        if (page.length < EVENTS_PAGE_SIZE) return;
      }
    };
    // Serialised: a status message and an ack never read and finish twice at once.
    const checkRest = () => {
      check = check
        .then(async () => {
          if (finishing) return;
          const run = await reader.getRun(runId);
          if (!isAtRest(run)) return;
          await readMissing();
          finish(undefined, run);
        })
        .catch((error: unknown) => finish(error));
    };

    subscribe({
      ...live,
      subscription: () => ({ runId, afterSeq: lastSeq }),
      onMessage: (message) => {
        if (message.name === 'run.event' && message.payload.runId === runId) {
          // The gateway orders a subscribed run's events; a jump means this connection missed some.
          if (message.payload.seq > lastSeq + 1) {
            check = check.then(readMissing).catch((error: unknown) => finish(error));
            check = check.then(() => deliver(message.payload));
          } else {
            check = check.then(() => deliver(message.payload));
          }
        } else if (message.name === 'run.status' && message.payload.runId === runId) {
          options.onStatus?.(message.payload.status);
          checkRest();
        }
      },
      onSubscribed: checkRest,
      onError: (error) => finish(error),
    }).then(
      (opened) => {
        connection = opened;
        if (finishing) opened.close();
      },
      (error: unknown) => finish(error),
    );
  });
}
