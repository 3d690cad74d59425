import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { reportConnectionTrouble } from '@mendflow/queue';
import { Redis } from 'ioredis';
import { API_CONFIG, type ApiConfig } from '../config/api-config';

export const REDIS = Symbol('mendflow.redis');

class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}

/** A plain Redis client for what is not a queue: readiness probes (and live events). */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      useFactory: (config: ApiConfig) => {
        const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: false });
        const logger = new Logger('Redis');
        reportConnectionTrouble(redis, (message) => logger.warn(`${message}; reconnecting`));
        return redis;
      },
      inject: [API_CONFIG],
    },
    RedisLifecycle,
  ],
  exports: [REDIS],
})
export class RedisModule {}
