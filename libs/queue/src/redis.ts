/**
 * BullMQ connection options from a redis:// URL. Workers need `maxRetriesPerRequest: null` so a
 * blocking command is never abandoned mid-wait (BullMQ requires it of a Worker's connection).
 */
export function redisConnection(url: string) {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number.isFinite(db) ? db : 0,
    ...(parsed.protocol === 'rediss:' && { tls: {} }),
    maxRetriesPerRequest: null,
    // BullMQ's default waits up to 20 s between reconnects; a Redis back after a restart is used
    // within 2 s instead, which is most of how long a restart keeps the queues away.
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
}

/**
 * Connection options for a process that only produces jobs (the API). With the workers' options an
 * `add()` while Redis is down waits for it forever, and so does the request that made it. Here a
 * command fails at once while the connection is down (no offline queue) and after one retry when it
 * drops mid-command; callers keep PostgreSQL as the record (a run stays queued there and the workers'
 * reconciler enqueues it once Redis is back), so failing fast loses nothing.
 */
export function producerConnection(url: string) {
  return { ...redisConnection(url), maxRetriesPerRequest: 1, enableOfflineQueue: false };
}

const REDIS_UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
/** ioredis's own messages for a connection that is down, closed, or gave up on a command. */
const REDIS_UNAVAILABLE_MESSAGE =
  /Connection is closed|Stream isn't writeable|enableOfflineQueue|max retries per request|Connection timeout/i;

/**
 * True when a Redis command failed because Redis could not be reached (refused, closed, offline, or
 * out of retries), so the same command may well succeed later; false for a command Redis refused.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'EnqueueTimeoutError') return true;
  const errno = (error as { code?: unknown }).code;
  if (typeof errno === 'string' && REDIS_UNAVAILABLE_ERRNO.has(errno)) return true;
  return REDIS_UNAVAILABLE_MESSAGE.test(error.message);
}

/** What reportConnectionTrouble needs of a client: ioredis's connection events. */
interface ConnectionEvents {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

/**
 * Gives a Redis client an 'error' listener that reports the first error of each outage (and none of
 * the reconnect attempts that follow, until the client is ready again). ioredis prints every error of
 * a client without a listener to stderr as an unformatted "[ioredis] Unhandled error event" with its
 * stack, once per reconnect attempt: a Redis restart filled the workers' logs with lines no log
 * pipeline could parse. The client reconnects by itself either way.
 */
export function reportConnectionTrouble(client: ConnectionEvents, report: (message: string) => void): void {
  let down = false;
  client.on('error', (error) => {
    if (down) return;
    down = true;
    report(error.message);
  });
  client.on('ready', () => {
    down = false;
  });
}
