import { io, type Socket } from 'socket.io-client';

export interface LiveMessage {
  name: string;
  payload: Record<string, unknown> & { runId?: string; workspaceId?: string; seq?: number };
}

export interface LiveClient {
  socket: Socket;
  /** Every message received, in arrival order. */
  messages: LiveMessage[];
  /** The `run.event` seqs received for one run, in arrival order. */
  seqs(runId: string): number[];
  subscribe(body: unknown): Promise<{ ok: boolean; error?: { code: string; message: string } }>;
  close(): void;
}

export interface ConnectOptions {
  token?: string;
  headers?: Record<string, string>;
}

/** Connects to the `/events` namespace over WebSocket; rejects with the connect_error the server sent. */
export async function connectLive(apiUrl: string, options: ConnectOptions = {}): Promise<LiveClient> {
  const socket = io(`${apiUrl}/events`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: options.token ? { token: options.token } : {},
    extraHeaders: options.headers,
  });
  const messages: LiveMessage[] = [];
  socket.onAny((name: string, payload: LiveMessage['payload']) => messages.push({ name, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
  return {
    socket,
    messages,
    seqs: (runId) =>
      messages
        .filter((m) => m.name === 'run.event' && m.payload.runId === runId)
        .map((m) => m.payload.seq as number),
    subscribe: (body) => socket.timeout(10_000).emitWithAck('subscribe', body),
    close: () => socket.close(),
  };
}

/** Resolves once `check` holds, polling; fails with `what` after the timeout. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 1..n (or from..to): the seqs a gap-free, duplicate-free timeline has. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
