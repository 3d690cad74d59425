import { Controller, Get, HttpException, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { probe } from '@mendflow/common';
import { DB, type Db } from '@mendflow/db';
import type { Redis } from 'ioredis';
import { Public } from '../auth/principal';
import { DrainState } from '../lifecycle/drain-state';
import { REDIS } from '../redis/redis.module';

const CHECK_TIMEOUT_MS = 2000;

@ApiExcludeController()
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly drain: DrainState,
  ) {}

  /** The process is up. */
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  /** Ready to serve: not shutting down, and PostgreSQL and Redis both answer. */
  @Get('readyz')
  async readyz() {
    if (this.drain.draining) {
      throw new HttpException(
        { error: { code: 'NOT_READY', message: 'shutting down', details: { status: 'draining' } } },
        503,
      );
    }
    const [postgres, redis] = await Promise.all([
      probe(() => this.db.$queryRaw`SELECT 1`, CHECK_TIMEOUT_MS),
      probe(() => this.redis.ping(), CHECK_TIMEOUT_MS),
    ]);
    const body = { status: postgres && redis ? 'ok' : 'unavailable', checks: { postgres, redis } };
    if (!postgres || !redis) {
      throw new HttpException(
        { error: { code: 'NOT_READY', message: 'a dependency is down', details: body } },
        503,
      );
    }
    return body;
  }
}
