import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent, RunReader, WatchedRun } from './watch';
import { isAtRest, watchRun } from './watch';

// A Socket.IO server speaking the gateway's protocol (namespace /events, auth.token, subscribe with
// afterSeq answered by an ack after the catch-up); the timeline and the run's status are in memory here.
interface Fake {
  url: string;
  events: RunEvent[];
  run: WatchedRun;
  tokens: unknown[];
  subscriptions: unknown[];
  publish(event: RunEvent): void;
  status(status: WatchedRun['status']): void;
  close(): Promise<void>;
}

/** A run as GET /api/v1/runs/{id} answers it, in the given status. */
function runIn(status: WatchedRun['status'], waitingFor: WatchedRun['waitingFor'] = null): WatchedRun {
  return {
    id: 'run-1',
    automationId: 'a',
    automationName: 'greet',
    versionId: 'v',
    versionNumber: 1,
    status,
    trigger: 'manual',
    triggerContext: null,
    attemptCount: 1,
    priority: 0,
    waitingFor,
    nextAttemptAt: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    input: null,
    output: null,
    error: null,
    idempotencyKey: null,
  };
}

const open: Fake[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((fake) => fake.close()));
});

async function fakeGateway(options: { dropLive?: (seq: number) => boolean } = {}): Promise<Fake> {
  const http = createServer();
  const io = new Server(http);
  const fake: Fake = {
    url: '',
    events: [],
    run: runIn('running'),
    tokens: [],
    subscriptions: [],
    publish(event) {
      fake.events.push(event);
      if (!options.dropLive?.(event.seq))
        io.of('/events').emit('run.event', { ...event, runId: 'run-1', automationId: 'a', workspaceId: 'w' });
    },
    status(status) {
      fake.run = { ...fake.run, status };
      io.of('/events').emit('run.status', { runId: 'run-1', automationId: 'a', status });
    },
    close: () => new Promise((resolve) => void io.close(() => resolve())),
  };
  io.of('/events').use((socket, next) => {
    fake.tokens.push(socket.handshake.auth.token);
    if (socket.handshake.auth.token !== 'mf_good')
      return next(Object.assign(new Error('no'), { data: { code: 'UNAUTHENTICATED' } }));
    next();
  });
  io.of('/events').on('connection', (socket) => {
    socket.on('subscribe', (body: { runId: string; afterSeq?: number }, ack: (answer: unknown) => void) => {
      fake.subscriptions.push(body);
      for (const event of fake.events.filter((e) => e.seq > (body.afterSeq ?? 0))) {
        socket.emit('run.event', { ...event, runId: 'run-1', automationId: 'a', workspaceId: 'w' });
      }
      ack({ ok: true });
    });
  });
  http.listen(0, '127.0.0.1');
  await new Promise((resolve) => http.once('listening', resolve));
  fake.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  open.push(fake);
  return fake;
}

function readerOf(fake: Fake): RunReader {
  return {
    getRun: async () => fake.run,
    listEvents: async (_id, after) => fake.events.filter((event) => event.seq > after),
  };
}

const event = (seq: number, type = 'test.note'): RunEvent => ({
  seq,
  type,
  data: { seq },
  createdAt: new Date().toISOString(),
});

describe('watchRun', () => {
  it('delivers stored and live events once each, in order, and resolves when the run finishes', async () => {
    const fake = await fakeGateway();
    fake.events.push(event(1, 'run.queued'), event(2, 'run.running'));
    const seen: number[] = [];
    const done = watchRun({ baseUrl: fake.url, apiKey: 'mf_good' }, readerOf(fake), 'run-1', {
      onEvent: (e) => {
        seen.push(e.seq);
        if (e.seq === 2) {
          fake.publish(event(3));
          fake.publish(event(4, 'run.succeeded'));
          fake.status('succeeded');
        }
      },
    });
    const run = await done;
    expect(run.status).toBe('succeeded');
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(fake.tokens).toEqual(['mf_good']);
    expect(fake.subscriptions).toEqual([{ runId: 'run-1', afterSeq: 0 }]);
  });

  it('reads what the socket missed from REST before resolving', async () => {
    // Live messages for seq 2 and 3 are lost; the status change arrives.
    const fake = await fakeGateway({ dropLive: (seq) => seq === 2 || seq === 3 });
    fake.events.push(event(1));
    const seen: number[] = [];
    const run = await watchRun({ baseUrl: fake.url, apiKey: 'mf_good' }, readerOf(fake), 'run-1', {
      onEvent: (e) => {
        seen.push(e.seq);
        if (e.seq === 1) {
          fake.publish(event(2));
          fake.publish(event(3, 'run.failed'));
          fake.status('failed');
        }
      },
    });
    expect(run.status).toBe('failed');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('resolves at once for a run already at rest, and rejects a refused key with its code', async () => {
    const fake = await fakeGateway();
    fake.events.push(event(1), event(2));
    fake.run = runIn('waiting', { kind: 'approval' });
    const seen: number[] = [];
    await watchRun({ baseUrl: fake.url, apiKey: 'mf_good' }, readerOf(fake), 'run-1', {
      onEvent: (e) => seen.push(e.seq),
    });
    expect(seen).toEqual([1, 2]);
    await expect(
      watchRun({ baseUrl: fake.url, apiKey: 'mf_bad' }, readerOf(fake), 'run-1'),
    ).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
    });
  });

  it('counts a sleeping or retrying run as still moving', () => {
    expect(isAtRest({ status: 'waiting', waitingFor: { kind: 'sleep' } })).toBe(false);
    expect(isAtRest({ status: 'retry_scheduled' })).toBe(false);
    expect(isAtRest({ status: 'action_needed' })).toBe(true);
    expect(isAtRest({ status: 'cancelled' })).toBe(true);
  });
});
