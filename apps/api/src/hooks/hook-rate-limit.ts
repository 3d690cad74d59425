import { Inject, Injectable } from '@nestjs/common';
import { ErrorCodes } from '@mendflow/common';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { httpError } from '../common/http-error.filter';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { REDIS } from '../redis/redis.module';

/** A request refused by the limit: the 429 to throw and the seconds for `Retry-After`. */
export class HookRateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many requests to this webhook; try again in ${retryAfterSeconds} s`);
  }

  toHttp() {
    return httpError(429, ErrorCodes.RATE_LIMITED, this.message, {
      retryAfterSeconds: this.retryAfterSeconds,
    });
  }
}

/**
 * WEBHOOK_RATE_LIMIT requests a minute per automation, counted in Redis so every API replica shares the
 * budget (the mechanism of the sign-in limit, login-throttle.ts). Only requests with the right token are
 * counted: a stranger guessing tokens cannot spend a sender's budget. Should Redis fail, each replica
 * counts in its own memory instead of letting requests through uncounted.
 */
@Injectable()
export class HookRateLimit {
  private readonly limiter: RateLimiterRedis;

  constructor(@Inject(REDIS) redis: Redis, @Inject(API_CONFIG) config: ApiConfig) {
    const options = { keyPrefix: 'mendflow:hook', points: config.WEBHOOK_RATE_LIMIT, duration: 60 };
    this.limiter = new RateLimiterRedis({
      ...options,
      storeClient: redis,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  }

  /** Counts one request to the automation's hook; throws HookRateLimited when the minute's budget is spent. */
  async consume(automationId: string): Promise<void> {
    try {
      await this.limiter.consume(automationId);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        throw new HookRateLimited(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      }
      throw error; // neither Redis nor the fallback could count: a 500 with a request id
    }
  }
}
