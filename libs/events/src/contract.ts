import type { RunStatus } from '@mendflow/common';

/**
 * The live-events contract between publishers (worker, API) and the Socket.IO gateway (API).
 *
 * Namespace: `/events` (default path `/socket.io`).
 *
 * Rooms — a socket joins them when its `subscribe` is accepted; a message is addressed to every room it
 * concerns and reaches each socket once even when the socket is in several of them:
 *   - `run:<runId>`               every `run.event` and `run.status` of that run, and its `inbox.item`s
 *   - `automation:<automationId>` the same for every run of that automation
 *   - `workspace:<workspaceId>`   the same for every run of the workspace
 *
 * Messages (server → client):
 *   - `run.event`  {@link RunEventMessage}: one timeline entry; `seq` is strictly increasing per run
 *   - `run.status` {@link RunStatusMessage}: the run's new status
 *   - `inbox.item` {@link InboxItemMessage}: an action-needed item was opened
 */
export const EVENTS_NAMESPACE = '/events';

export const Rooms = {
  run: (runId: string) => `run:${runId}`,
  automation: (automationId: string) => `automation:${automationId}`,
  workspace: (workspaceId: string) => `workspace:${workspaceId}`,
} as const;

export const LiveMessages = {
  runEvent: 'run.event',
  runStatus: 'run.status',
  inboxItem: 'inbox.item',
} as const;
export type LiveMessageName = (typeof LiveMessages)[keyof typeof LiveMessages];

export interface RunEventMessage {
  runId: string;
  automationId: string;
  workspaceId: string;
  seq: number;
  type: string;
  data: unknown;
  /** ISO 8601. */
  createdAt: string;
}

export interface RunStatusMessage {
  runId: string;
  automationId: string;
  status: RunStatus;
}

/** An inbox item as publishers describe it: at least its id, run and automation. */
export interface InboxItemSummary {
  id: string;
  runId: string;
  automationId: string;
  [field: string]: unknown;
}

export interface InboxItemMessage extends InboxItemSummary {
  workspaceId: string;
}

/**
 * What travels between processes. Publishers do not broadcast to the rooms themselves: each API replica
 * receives the envelope and delivers it to its own sockets in `rooms`, because delivering a run's events
 * in seq order without duplicates (catch-up racing live events) needs a per-socket decision that
 * Socket.IO's adapter broadcast cannot make.
 */
export type LiveEnvelope =
  | { rooms: string[]; workspaceId: string; name: typeof LiveMessages.runEvent; payload: RunEventMessage }
  | { rooms: string[]; workspaceId: string; name: typeof LiveMessages.runStatus; payload: RunStatusMessage }
  | { rooms: string[]; workspaceId: string; name: typeof LiveMessages.inboxItem; payload: InboxItemMessage };

/** The server-side event carrying a {@link LiveEnvelope} to every API replica (Socket.IO serverSideEmit). */
export const LIVE_ENVELOPE_EVENT = 'mendflow:live';
/**
 * The same for several envelopes, in the order they were published: what one process published in one
 * turn of its event loop goes out as one Redis message (a state change is two or three envelopes).
 */
export const LIVE_BATCH_EVENT = 'mendflow:live-batch';

/** The rooms a run's messages are addressed to. */
export function runRooms(input: { runId: string; automationId: string; workspaceId: string }): string[] {
  return [Rooms.run(input.runId), Rooms.automation(input.automationId), Rooms.workspace(input.workspaceId)];
}
