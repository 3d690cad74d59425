import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_LIMITS, LoginRateLimited, LoginThrottle } from './login-throttle';

// Against the real Redis (a database no other test flushes); every test uses keys of its own.
const REDIS_URL = `${(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/6`;

let redis: Redis;
let throttle: LoginThrottle;
const unique = () => randomUUID();

async function refusal(attempt: Promise<unknown>): Promise<LoginRateLimited> {
  const error = await attempt.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(LoginRateLimited);
  return error as LoginRateLimited;
}

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  throttle = new LoginThrottle(redis);
});

afterAll(() => redis?.disconnect());

describe('LoginThrottle', () => {
  it('refuses the 11th attempt of an address within a minute, saying how long to wait', async () => {
    const address = unique();
    for (let i = 0; i < LOGIN_LIMITS.address.points; i++) await throttle.begin(address, `${unique()}@x.test`);
    const refused = await refusal(throttle.begin(address, `${unique()}@x.test`));
    expect(refused.getStatus()).toBe(429);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(await redis.pttl(`mendflow:login:addr:${address}`)).toBeGreaterThan(0);
  });

  it('refuses the 11th attempt on an account from any number of addresses, for up to 15 minutes', async () => {
    const email = `${unique()}@x.test`;
    for (let i = 0; i < LOGIN_LIMITS.account.points; i++) await throttle.begin(unique(), email);
    const refused = await refusal(throttle.begin(unique(), ` ${email.toUpperCase()}`));
    expect(refused.retryAfterSeconds).toBeGreaterThan(60);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    // Redis holds a hash of the email, never the email.
    expect(await redis.keys(`*${email}*`)).toEqual([]);
  });

  it('gives refunded attempts back, and does not count refused ones', async () => {
    const address = unique();
    for (let i = 0; i < 25; i++) await (await throttle.begin(address, `${address}@x.test`)).refund();
    for (let i = 0; i < LOGIN_LIMITS.address.points; i++) await throttle.begin(address, undefined);
    for (let i = 0; i < 5; i++) await refusal(throttle.begin(address, undefined));
    // 25 refunded + 10 counted + 5 refused (given back at once): the count is the 10.
    expect(await redis.get(`mendflow:login:addr:${address}`)).toBe(String(LOGIN_LIMITS.address.points));
  });

  it('counts parallel attempts atomically', async () => {
    const address = unique();
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => throttle.begin(address, `${unique()}@x.test`)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(LOGIN_LIMITS.address.points);
    for (const result of results.filter((r) => r.status === 'rejected')) {
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(LoginRateLimited);
    }
  });

  it('keeps counting in memory when Redis cannot be reached', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    const offline = new LoginThrottle(down);
    const address = unique();
    for (let i = 0; i < LOGIN_LIMITS.address.points; i++) await offline.begin(address, undefined);
    await refusal(offline.begin(address, undefined));
    down.disconnect();
  });
});
