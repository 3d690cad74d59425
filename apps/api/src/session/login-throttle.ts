import { createHash } from 'node:crypto';
import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { REDIS } from '../redis/redis.module';

/**
 * Sign-in limits. Each attempt is counted, before its password is checked, under two keys: the client
 * address and the account (email). An attempt that turns out not to be a wrong credential (a sign-in
 * that succeeded, a malformed body, one refused by the limit itself) is given back afterwards, so only
 * failed guesses use the budget, yet a burst of parallel guesses is counted before any of them is
 * answered. A fixed window starts at a key's first attempt.
 */
export const LOGIN_LIMITS = {
  /** One client spraying many accounts (or one): 10 failed sign-ins a minute. */
  address: { points: 10, durationSeconds: 60 },
  /** One account guessed from many clients: 10 failed sign-ins per 15 minutes. */
  account: { points: 10, durationSeconds: 15 * 60 },
} as const;

const KEY_PREFIX = 'mendflow:login';

/** An attempt that was let through: `refund()` gives its points back (it was not a failed guess). */
export interface LoginAttempt {
  refund(): Promise<void>;
}

interface Counted {
  limiter: RateLimiterRedis;
  key: string;
}

/**
 * The limits live in Redis, so every API replica shares them. Should Redis fail, each replica falls
 * back to counting in its own memory (rate-limiter-flexible's insurance limiter) rather than letting
 * attempts through uncounted or refusing every sign-in.
 */
@Injectable()
export class LoginThrottle {
  private readonly byAddress: RateLimiterRedis;
  private readonly byAccount: RateLimiterRedis;

  constructor(@Inject(REDIS) redis: Redis) {
    this.byAddress = limiter(redis, 'addr', LOGIN_LIMITS.address);
    this.byAccount = limiter(redis, 'account', LOGIN_LIMITS.account);
  }

  /**
   * Counts one attempt from `addressKey` (see clientAddressKey) for `email` (when the body had one).
   * Throws 429 RATE_LIMITED, with the seconds to wait, when either budget is spent.
   */
  async begin(addressKey: string, email: string | undefined): Promise<LoginAttempt> {
    const counted: Counted[] = [{ limiter: this.byAddress, key: addressKey }];
    if (email !== undefined) counted.push({ limiter: this.byAccount, key: accountKey(email) });
    const results = await Promise.allSettled(counted.map(({ limiter, key }) => limiter.consume(key)));
    const refund = async () => {
      await Promise.allSettled(counted.map(({ limiter, key }) => limiter.reward(key)));
    };
    const refused = results.flatMap((result) =>
      result.status === 'rejected' && result.reason instanceof RateLimiterRes ? [result.reason] : [],
    );
    if (refused.length > 0) {
      await refund(); // a refused attempt checks no password: it does not count
      throw new LoginRateLimited(Math.max(...refused.map((res) => retryAfterSeconds(res.msBeforeNext))));
    }
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) {
      await refund();
      throw failed.reason; // neither Redis nor the in-memory fallback could count: a 500 with a request id
    }
    return { refund };
  }
}

/** 429 in the API's envelope; the filter passes bodies already shaped `{ error }` through. */
export class LoginRateLimited extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      {
        error: {
          code: 'RATE_LIMITED',
          message: `too many sign-in attempts; try again in ${retryAfterSeconds} s`,
          details: { retryAfterSeconds },
        },
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

function limiter(
  redis: Redis,
  name: string,
  limit: { points: number; durationSeconds: number },
): RateLimiterRedis {
  const options = {
    keyPrefix: `${KEY_PREFIX}:${name}`,
    points: limit.points,
    duration: limit.durationSeconds,
  };
  return new RateLimiterRedis({
    ...options,
    storeClient: redis,
    insuranceLimiter: new RateLimiterMemory(options),
  });
}

/** Emails are personal data: Redis holds only a hash of the normalized address. */
function accountKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}
