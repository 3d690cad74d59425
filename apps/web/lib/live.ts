'use client';

import { useEffect, useRef, useSyncExternalStore } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { RunStatus } from '@mendflow/contracts';

/**
 * Live events: one Socket.IO connection per tab to the API's `/events` namespace, on the web app's own
 * origin (proxy.ts forwards /socket.io/*, including the WebSocket upgrade), authenticated by the session
 * cookie. Components subscribe to a run, an automation or the workspace; after a reconnect every
 * subscription is sent again (a run's with the last seq its owner has, so the server replays only what
 * was missed).
 */

export type LiveSubscription =
  { runId: string; afterSeq?: number } | { automationId: string } | { workspace: true };

export interface RunEventMessage {
  runId: string;
  automationId: string;
  workspaceId: string;
  seq: number;
  type: string;
  data: Record<string, unknown> | null;
  createdAt: string;
}
export interface RunStatusMessage {
  runId: string;
  automationId: string;
  status: RunStatus;
}
export interface InboxItemMessage {
  id: string;
  runId: string;
  automationId: string;
  workspaceId: string;
  [field: string]: unknown;
}

export type LiveMessage =
  | { name: 'run.event'; payload: RunEventMessage }
  | { name: 'run.status'; payload: RunStatusMessage }
  | { name: 'inbox.item'; payload: InboxItemMessage };

export type LiveConnection = 'idle' | 'connecting' | 'connected' | 'reconnecting';

interface Entry {
  key: string;
  body: () => LiveSubscription;
  listener: (message: LiveMessage) => void;
}

let socket: Socket | null = null;
let connection: LiveConnection = 'idle';
const connectionListeners = new Set<() => void>();
const entries = new Set<Entry>();

function setConnection(next: LiveConnection): void {
  if (connection === next) return;
  connection = next;
  for (const listener of connectionListeners) listener();
}

function sendSubscribe(entry: Entry): void {
  if (!socket?.connected) return;
  void socket
    .timeout(15_000)
    .emitWithAck('subscribe', entry.body())
    .then((ack: { ok: boolean; error?: { code: string; message: string } }) => {
      if (!ack?.ok) console.warn(`live subscription ${entry.key} refused`, ack?.error);
    })
    .catch(() => {
      // No ack in time: the connection is probably going down; 'connect' subscribes again.
    });
}

function ensureSocket(): Socket {
  if (socket) return socket;
  setConnection('connecting');
  // Default transports: HTTP long-polling first, upgraded to WebSocket; both pass through proxy.ts.
  const created = io('/events', { withCredentials: true });
  created.on('connect', () => {
    setConnection('connected');
    for (const entry of entries) sendSubscribe(entry);
  });
  created.on('disconnect', () => setConnection('reconnecting'));
  created.on('connect_error', () => setConnection(created.active ? 'reconnecting' : 'idle'));
  created.onAny((name: string, payload: unknown) => {
    const message = { name, payload } as LiveMessage;
    for (const entry of entries) {
      try {
        entry.listener(message);
      } catch (err) {
        console.error(err);
      }
    }
  });
  socket = created;
  return created;
}

/** Closes the connection (sign-out). */
export function closeLive(): void {
  socket?.disconnect();
  socket = null;
  setConnection('idle');
}

function keyOf(body: LiveSubscription): string {
  if ('runId' in body) return `run:${body.runId}`;
  if ('automationId' in body) return `automation:${body.automationId}`;
  return 'workspace';
}

function unsubscribeBody(body: LiveSubscription): LiveSubscription {
  return 'runId' in body ? { runId: body.runId } : body;
}

function addEntry(entry: Entry): () => void {
  entries.add(entry);
  ensureSocket();
  sendSubscribe(entry);
  return () => {
    entries.delete(entry);
    const stillWanted = [...entries].some((other) => other.key === entry.key);
    if (!stillWanted && socket?.connected) {
      socket.emit('unsubscribe', unsubscribeBody(entry.body()));
    }
  };
}

/**
 * Subscribes while mounted. `body` is read at every (re)subscription, so a run subscription can carry the
 * latest seq its owner holds; `onMessage` receives every message of the connection (filter by id).
 */
export function useLiveSubscription(
  body: LiveSubscription | null,
  onMessage: ((message: LiveMessage) => void) | null,
  latestBody?: () => LiveSubscription,
): void {
  const onMessageRef = useRef(onMessage);
  const latestBodyRef = useRef(latestBody);
  useEffect(() => {
    onMessageRef.current = onMessage;
    latestBodyRef.current = latestBody;
  });
  const key = body ? keyOf(body) : null;
  const bodyJson = body ? JSON.stringify(unsubscribeBody(body)) : null;

  useEffect(() => {
    if (!key || !bodyJson) return;
    const initial = JSON.parse(bodyJson) as LiveSubscription;
    return addEntry({
      key,
      body: () => latestBodyRef.current?.() ?? initial,
      listener: (message) => onMessageRef.current?.(message),
    });
  }, [key, bodyJson]);
}

function subscribeConnection(listener: () => void): () => void {
  connectionListeners.add(listener);
  return () => connectionListeners.delete(listener);
}

/** The live connection's state, for an indicator and for falling back to polling. */
export function useLiveConnection(): LiveConnection {
  return useSyncExternalStore(
    subscribeConnection,
    () => connection,
    () => 'idle',
  );
}
