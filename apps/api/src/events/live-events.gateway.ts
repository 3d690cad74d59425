import { Logger, UseFilters } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { DomainError, ErrorCodes, parseOrThrow, type RunStatus } from '@mendflow/common';
import { AutomationsRepository, loggableError, RunsRepository } from '@mendflow/db';
import {
  EVENTS_NAMESPACE,
  LIVE_BATCH_EVENT,
  LIVE_ENVELOPE_EVENT,
  type LiveEnvelope,
  LiveMessages,
  Rooms,
  type RunStatusMessage,
} from '@mendflow/events';
import type { DefaultEventsMap, Namespace, Socket } from 'socket.io';
import { Authenticator } from '../auth/authenticator.service';
import { type Principal, Requires } from '../auth/principal';
import { RunStream } from './run-stream';
import { handshakeCredentials, sameOrigin } from './socket-auth';
import { SubscriptionAckFilter } from './subscription-ack.filter';
import {
  SUBSCRIPTION_SHAPES,
  type Subscription,
  type SubscriptionAck,
  subscriptionBody,
} from './subscription';

interface ServerEvents {
  [LIVE_ENVELOPE_EVENT]: (envelope: LiveEnvelope) => void;
  [LIVE_BATCH_EVENT]: (envelopes: LiveEnvelope[]) => void;
}
interface SocketData {
  principal: Principal;
}
type LiveSocket = Socket<DefaultEventsMap, DefaultEventsMap, ServerEvents, SocketData>;
type LiveNamespace = Namespace<DefaultEventsMap, DefaultEventsMap, ServerEvents, SocketData>;

/** What this replica keeps about one connected socket. */
interface Connection {
  socket: LiveSocket;
  principal: Principal;
  /** Rooms the client subscribed to (run:, automation:, workspace:). */
  subscriptions: Set<string>;
  /** Runs subscribed with catch-up: their events go through a stream that orders and de-duplicates them. */
  streams: Map<string, RunStream>;
  expiry?: NodeJS.Timeout;
}

const MAX_SUBSCRIPTIONS = 100;
// Rooms a socket is put in by the server, for disconnecting it when its credential ends (never subscribable).
const sessionRoom = (id: string) => `session:${id}`;
const apiKeyRoom = (id: string) => `api-key:${id}`;
const memberRoom = (workspaceId: string, userId: string) => `member:${workspaceId}:${userId}`;

/**
 * Live run events for dashboards and API clients: Socket.IO namespace `/events`.
 *
 * - Handshake: an API key (`auth: { token }` or `Authorization: Bearer`) or the session cookie; anything
 *   else is refused with a connect_error whose `data.code` is UNAUTHENTICATED (or FORBIDDEN_ORIGIN).
 * - `subscribe` / `unsubscribe` with `{ runId, afterSeq? }`, `{ automationId }` or `{ workspace: true }`,
 *   acknowledged with `{ ok: true }` or `{ ok: false, error: { code, message } }`. A run or automation of
 *   another workspace answers exactly like one that does not exist. Subscribing needs `workspace:read`
 *   (every role), checked against the connection's membership as it is at that moment (PermissionGuard):
 *   a member removed since the handshake is refused, and their connections are closed at removal.
 * - Server → client: `run.event`, `run.status`, `inbox.item` (shapes in @mendflow/events).
 *
 * Publishers (worker, API) send envelopes through Redis to every replica; each replica delivers them to
 * its own sockets in the envelope's rooms, through a RunStream where the socket asked for catch-up.
 */
// The browser bundle of socket.io-client comes from the web app's build, not from the API.
@WebSocketGateway({ namespace: EVENTS_NAMESPACE, serveClient: false })
@UseFilters(SubscriptionAckFilter)
export class LiveEventsGateway
  implements OnGatewayInit<LiveNamespace>, OnGatewayConnection<LiveSocket>, OnGatewayDisconnect<LiveSocket>
{
  private readonly logger = new Logger('LiveEvents');
  private readonly connections = new Map<string, Connection>();
  /** In-process listeners to one run's status (a synchronous webhook waiting for its run). */
  private readonly statusWatchers = new Map<string, Set<(status: RunStatus) => void>>();
  private namespace?: LiveNamespace;

  constructor(
    private readonly authenticator: Authenticator,
    private readonly runs: RunsRepository,
    private readonly automations: AutomationsRepository,
  ) {}

  afterInit(namespace: LiveNamespace): void {
    this.namespace = namespace;
    namespace.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => {
          if (isConnectError(error)) return next(error);
          // The message reaches the client: say only that it may retry; the cause goes to the log.
          this.logger.error('could not authenticate a live connection', loggableError(error));
          next(connectError('UNAVAILABLE', 'authentication is unavailable right now; try again'));
        },
      );
    });
    namespace.on(LIVE_ENVELOPE_EVENT, (envelope) => this.receive(envelope));
    namespace.on(LIVE_BATCH_EVENT, (envelopes) => {
      if (Array.isArray(envelopes)) for (const envelope of envelopes) this.receive(envelope);
    });
  }

  /** One envelope heard from Redis (this replica's publishes too): to its watchers and sockets. */
  private receive(envelope: LiveEnvelope): void {
    try {
      if (envelope?.name === LiveMessages.runStatus) this.notifyStatus(envelope.payload);
      this.deliver(envelope);
    } catch (error) {
      this.logger.error(`could not deliver a live ${envelope?.name} message`, loggableError(error));
    }
  }

  /**
   * Calls `listener` with each status this replica hears for the run (every replica hears every run's
   * messages) until the returned function is called. A hint, not the truth: messages can be lost, so a
   * watcher reads the run from PostgreSQL when told and when it stops waiting.
   */
  watchRunStatus(runId: string, listener: (status: RunStatus) => void): () => void {
    const watchers = this.statusWatchers.get(runId) ?? new Set();
    watchers.add(listener);
    this.statusWatchers.set(runId, watchers);
    return () => {
      watchers.delete(listener);
      if (watchers.size === 0 && this.statusWatchers.get(runId) === watchers)
        this.statusWatchers.delete(runId);
    };
  }

  private notifyStatus(message: RunStatusMessage): void {
    for (const listener of this.statusWatchers.get(message.runId) ?? []) {
      try {
        listener(message.status);
      } catch (error) {
        this.logger.error('a run status watcher failed', loggableError(error));
      }
    }
  }

  handleConnection(socket: LiveSocket): void {
    const principal = socket.data.principal;
    const connection: Connection = { socket, principal, subscriptions: new Set(), streams: new Map() };
    this.connections.set(socket.id, connection);
    if (principal.session) {
      void socket.join(sessionRoom(principal.session.id));
      // A socket outlives no session: it is closed when the cookie would stop working.
      const remaining = Math.min(principal.session.expiresAt.getTime() - Date.now(), 2 ** 31 - 1);
      connection.expiry = setTimeout(() => socket.disconnect(true), Math.max(remaining, 0));
      connection.expiry.unref();
    }
    if (principal.keyId) void socket.join(apiKeyRoom(principal.keyId));
    void socket.join(memberRoom(principal.workspaceId, principal.userId));
    // Nor does one outlive its API key's expiry.
    const keyExpiry = principal.key?.expiresAt;
    if (keyExpiry) {
      const remaining = Math.min(keyExpiry.getTime() - Date.now(), 2 ** 31 - 1);
      connection.expiry = setTimeout(() => socket.disconnect(true), Math.max(remaining, 0));
      connection.expiry.unref();
    }
  }

  handleDisconnect(socket: LiveSocket): void {
    const connection = this.connections.get(socket.id);
    if (!connection) return;
    for (const stream of connection.streams.values()) stream.close();
    clearTimeout(connection.expiry);
    this.connections.delete(socket.id);
  }

  @SubscribeMessage('subscribe')
  @Requires('workspace:read')
  async subscribe(
    @ConnectedSocket() socket: LiveSocket,
    @MessageBody() body: unknown,
  ): Promise<SubscriptionAck> {
    try {
      const connection = this.connectionOf(socket);
      const subscription = parseSubscription(body);
      const { workspaceId } = connection.principal;
      const room = roomOf(connection.principal, subscription);
      // Existence is checked within the caller's workspace only: another workspace's id is "not found".
      const run = 'runId' in subscription ? await this.runs.get(workspaceId, subscription.runId) : undefined;
      if ('automationId' in subscription) await this.automations.get(workspaceId, subscription.automationId);
      if (!connection.subscriptions.has(room) && connection.subscriptions.size >= MAX_SUBSCRIPTIONS) {
        throw new DomainError(
          'TOO_MANY_SUBSCRIPTIONS',
          'conflict',
          `a connection may hold at most ${MAX_SUBSCRIPTIONS} subscriptions`,
        );
      }
      connection.subscriptions.add(room);
      if (run && 'runId' in subscription) {
        await this.streamRun(
          connection,
          { id: run.id, automationId: run.automationId },
          subscription.afterSeq ?? 0,
          room,
        );
      } else {
        await socket.join(room);
      }
      return { ok: true };
    } catch (error) {
      return this.refusal(error);
    }
  }

  @SubscribeMessage('unsubscribe')
  @Requires('account')
  async unsubscribe(
    @ConnectedSocket() socket: LiveSocket,
    @MessageBody() body: unknown,
  ): Promise<SubscriptionAck> {
    try {
      const connection = this.connectionOf(socket);
      const subscription = parseSubscription(body);
      const room = roomOf(connection.principal, subscription);
      connection.subscriptions.delete(room);
      await socket.leave(room);
      if ('runId' in subscription) {
        connection.streams.get(subscription.runId)?.close();
        connection.streams.delete(subscription.runId);
      }
      return { ok: true };
    } catch (error) {
      return this.refusal(error);
    }
  }

  /** Ends every live connection opened with this session (sign-out), on every replica. */
  disconnectSession(sessionId: string): void {
    this.namespace?.in(sessionRoom(sessionId)).disconnectSockets(true);
  }

  /** Ends every live connection opened with this API key (revocation), on every replica. */
  disconnectApiKey(keyId: string): void {
    this.namespace?.in(apiKeyRoom(keyId)).disconnectSockets(true);
  }

  /** Ends every live connection a user opened in a workspace (removed from it), on every replica. */
  disconnectMember(workspaceId: string, userId: string): void {
    this.namespace?.in(memberRoom(workspaceId, userId)).disconnectSockets(true);
  }

  private async authenticate(socket: LiveSocket): Promise<void> {
    const credentials = handshakeCredentials(socket.handshake);
    let principal: Principal | null = null;
    if (credentials?.kind === 'api_key') {
      principal = await this.authenticator.apiKey(credentials.token);
    } else if (credentials?.kind === 'session') {
      if (!sameOrigin(socket.handshake.headers)) {
        throw connectError('FORBIDDEN_ORIGIN', 'a session may only connect from a page of this origin');
      }
      principal = await this.authenticator.session(credentials.token);
    }
    if (!principal) throw connectError(ErrorCodes.UNAUTHENTICATED, 'a valid API key or session is required');
    // A copy: the connection's role is refreshed on each subscription, and API key principals are shared from a cache.
    socket.data.principal = { ...principal };
  }

  /**
   * The stream exists before the socket joins the run's room, and the catch-up is queued on it first, so
   * live events that arrive meanwhile wait behind the stored ones. The ack goes out after the catch-up:
   * a client holding it has every event up to the moment it subscribed.
   */
  private async streamRun(
    connection: Connection,
    run: { id: string; automationId: string },
    afterSeq: number,
    room: string,
  ): Promise<void> {
    const { socket, principal } = connection;
    connection.streams.get(run.id)?.close();
    const stream = new RunStream(afterSeq, {
      load: async (after, limit) => {
        const events = await this.runs.listEvents(principal.workspaceId, run.id, after, limit);
        return events.map((event) => ({
          ...event,
          automationId: run.automationId,
          createdAt: event.createdAt.toISOString(),
        }));
      },
      send: (event) => socket.emit(LiveMessages.runEvent, event),
      onError: (error) =>
        this.logger.warn(
          `run ${run.id} stream for socket ${socket.id}: ${loggableError(error).split('\n')[0]}`,
        ),
    });
    connection.streams.set(run.id, stream);
    await socket.join(room);
    try {
      await stream.catchUp();
    } catch (error) {
      // Nothing half-subscribed stays behind: the client is told to try again and will start over.
      stream.close();
      connection.streams.delete(run.id);
      connection.subscriptions.delete(room);
      await socket.leave(room);
      throw error;
    }
  }

  /** Hands one published message to this replica's sockets in its rooms, each socket once. */
  private deliver(envelope: LiveEnvelope): void {
    if (!this.namespace || !Array.isArray(envelope?.rooms)) return;
    const socketIds = new Set<string>();
    for (const room of envelope.rooms) {
      for (const id of this.namespace.adapter.rooms.get(room) ?? []) socketIds.add(id);
    }
    for (const id of socketIds) {
      const connection = this.connections.get(id);
      // Rooms already confine messages to their workspace; this check makes a mistake there harmless.
      if (!connection || connection.principal.workspaceId !== envelope.workspaceId) continue;
      this.deliverTo(connection, envelope);
    }
  }

  private deliverTo({ socket, streams }: Connection, envelope: LiveEnvelope): void {
    switch (envelope.name) {
      case LiveMessages.runEvent: {
        const stream = streams.get(envelope.payload.runId);
        if (stream) stream.offer(envelope.payload);
        else socket.emit(envelope.name, envelope.payload);
        return;
      }
      case LiveMessages.runStatus: {
        const stream = streams.get(envelope.payload.runId);
        if (stream) stream.after(() => socket.emit(envelope.name, envelope.payload));
        else socket.emit(envelope.name, envelope.payload);
        return;
      }
      case LiveMessages.inboxItem:
        socket.emit(envelope.name, envelope.payload);
        return;
    }
  }

  private connectionOf(socket: LiveSocket): Connection {
    const connection = this.connections.get(socket.id);
    if (!connection)
      throw new DomainError(ErrorCodes.UNAUTHENTICATED, 'unauthenticated', 'this connection is closing');
    return connection;
  }

  private refusal(error: unknown): SubscriptionAck {
    if (error instanceof DomainError)
      return { ok: false, error: { code: error.code, message: error.message } };
    this.logger.error('subscription failed', loggableError(error));
    return {
      ok: false,
      error: { code: 'INTERNAL', message: 'the subscription could not be set up; try again' },
    };
  }
}

function parseSubscription(body: unknown): Subscription {
  try {
    return parseOrThrow(subscriptionBody, body);
  } catch (error) {
    if (error instanceof DomainError) {
      throw new DomainError(
        ErrorCodes.VALIDATION_FAILED,
        'invalid',
        `subscribe takes ${SUBSCRIPTION_SHAPES}`,
        error.details,
      );
    }
    throw error;
  }
}

function roomOf(principal: Principal, subscription: Subscription): string {
  if ('runId' in subscription) return Rooms.run(subscription.runId);
  if ('automationId' in subscription) return Rooms.automation(subscription.automationId);
  return Rooms.workspace(principal.workspaceId);
}

/** Socket.IO sends `message` and `data` to the client's connect_error handler. */
function connectError(code: string, message: string): Error & { data: { code: string } } {
  return Object.assign(new Error(message), { data: { code } });
}

function isConnectError(error: unknown): error is Error & { data: { code: string } } {
  return error instanceof Error && typeof (error as { data?: { code?: unknown } }).data?.code === 'string';
}
