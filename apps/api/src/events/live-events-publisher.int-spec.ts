/**
 * The worker's and API's publisher against what every API replica runs (Socket.IO's Redis adapter):
 * the envelopes of one event-loop turn arrive together, in the order they were published. Pub/sub is
 * shared by the whole Redis server, so messages are told apart by a workspace id of this test's own.
 */
import { randomUUID } from 'node:crypto';
import {
  EVENTS_NAMESPACE,
  LIVE_BATCH_EVENT,
  LIVE_ENVELOPE_EVENT,
  type LiveEnvelope,
  LiveEventsPublisher,
} from '@mendflow/events';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REDIS_URL = `${(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/6`;
const workspaceId = randomUUID();

let io: Server;
let publisher: LiveEventsPublisher;
const redisClients: Redis[] = [];
const heard: { event: string; envelopes: LiveEnvelope[] }[] = [];

beforeAll(async () => {
  const pub = new Redis(REDIS_URL);
  const sub = pub.duplicate();
  redisClients.push(pub, sub);
  io = new Server();
  io.adapter(createAdapter(pub, sub));
  const namespace = io.of(EVENTS_NAMESPACE);
  const keep = (event: string, envelopes: LiveEnvelope[]) => {
    const ours = envelopes.filter((envelope) => envelope.workspaceId === workspaceId);
    if (ours.length > 0) heard.push({ event, envelopes: ours });
  };
  namespace.on(LIVE_ENVELOPE_EVENT, (envelope: LiveEnvelope) => keep(LIVE_ENVELOPE_EVENT, [envelope]));
  namespace.on(LIVE_BATCH_EVENT, (envelopes: LiveEnvelope[]) => keep(LIVE_BATCH_EVENT, envelopes));
  // The adapter's subscription must be in place before anything is published.
  await new Promise((resolve) => setTimeout(resolve, 200));
  publisher = new LiveEventsPublisher(REDIS_URL);
});

afterAll(async () => {
  await publisher?.close();
  // No HTTP server to close (io.close() would expect one): dropping the adapter's clients ends it.
  for (const client of redisClients) client.disconnect();
});

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
};

describe('LiveEventsPublisher (Redis, Socket.IO adapter)', () => {
  it('sends what one turn published as one message, in order, and a lone envelope as itself', async () => {
    const run = { runId: randomUUID(), automationId: randomUUID(), workspaceId };
    publisher.publishTransition({
      ...run,
      status: 'succeeded',
      inboxItemId: null,
      event: { seq: 3, type: 'run.succeeded', data: { attempt: 1 }, createdAt: new Date() },
    });
    publisher.publishRunStatus({ ...run, status: 'succeeded' });
    await until(() => heard.length >= 1);

    expect(heard).toHaveLength(1);
    expect(heard[0]!.event).toBe(LIVE_BATCH_EVENT);
    expect(heard[0]!.envelopes.map((envelope) => envelope.name)).toEqual([
      'run.event',
      'run.status',
      'run.status',
    ]);
    expect(heard[0]!.envelopes[0]!.payload).toMatchObject({ seq: 3, type: 'run.succeeded' });

    // A later turn: its own message.
    publisher.publishRunStatus({ ...run, status: 'succeeded' });
    await until(() => heard.length >= 2);
    expect(heard).toHaveLength(2);
    expect(heard[1]!.event).toBe(LIVE_ENVELOPE_EVENT);
  });
});
