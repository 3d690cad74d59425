import { createServer } from 'node:net';
import { EventEmitter, once } from 'node:events';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isRedisUnavailable, producerConnection, redisConnection, reportConnectionTrouble } from './redis';

/** A port nothing listens on: bound once to learn a free one, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('redis connections', () => {
  it('gives workers unbounded retries and producers none while the connection is down', () => {
    expect(redisConnection('redis://127.0.0.1:6390/3')).toMatchObject({
      host: '127.0.0.1',
      port: 6390,
      db: 3,
      maxRetriesPerRequest: null,
    });
    expect(producerConnection('redis://127.0.0.1:6390/3')).toMatchObject({
      port: 6390,
      db: 3,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
  });

  it("recognises ioredis's errors for a Redis out of reach, and only those", async () => {
    const port = await closedPort();
    const redis = new Redis({ ...producerConnection(`redis://127.0.0.1:${port}`), lazyConnect: true });
    redis.on('error', () => undefined); // connection errors are what this test is about
    const offline = await redis.ping().catch((error: unknown) => error);
    redis.disconnect();
    expect(offline).toBeInstanceOf(Error);
    expect(isRedisUnavailable(offline)).toBe(true);
    expect(
      isRedisUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isRedisUnavailable(new Error('ERR unknown command'))).toBe(false);
    expect(isRedisUnavailable('Connection is closed')).toBe(false);
  });

  it('reports the first error of an outage once, however many reconnects fail, and the next outage again', async () => {
    const port = await closedPort();
    const reports: string[] = [];
    const redis = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      retryStrategy: () => 10, // reconnects every 10 ms: many failed attempts within the test
    });
    reportConnectionTrouble(redis, (message) => reports.push(message));
    let attempts = 0;
    redis.on('error', () => attempts++);
    redis.connect().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    redis.disconnect();
    expect(attempts).toBeGreaterThan(3);
    expect(reports).toEqual([expect.stringContaining('ECONNREFUSED')]);

    // Ready again, then down again: reported again (the events as ioredis emits them).
    const events = new EventEmitter();
    const seen: string[] = [];
    reportConnectionTrouble(events, (message) => seen.push(message));
    events.emit('error', new Error('first outage'));
    events.emit('error', new Error('a reconnect failed'));
    events.emit('ready');
    events.emit('error', new Error('second outage'));
    expect(seen).toEqual(['first outage', 'second outage']);
  });
});
