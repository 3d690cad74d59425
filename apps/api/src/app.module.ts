import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DatabaseModule } from '@mendflow/db';
import { EngineModule } from '@mendflow/engine';
import { TriggersModule } from '@mendflow/triggers';
import { producerConnection } from '@mendflow/queue';
import { TelemetryShutdownHook } from '@mendflow/telemetry';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AutomationsModule } from './automations/automations.module';
import { BundlesModule } from './bundles/bundles.module';
import { HttpErrorFilter } from './common/http-error.filter';
import { API_CONFIG, type ApiConfig } from './config/api-config';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { HooksModule } from './hooks/hooks.module';
import { InboxModule } from './inbox/inbox.module';
import { LintModule } from './lint/lint.module';
import { McpModule } from './mcp/mcp.module';
import { MetricsModule } from './metrics/metrics.module';
import { NotificationsModule } from './notifications/notifications.module';
import { RedisModule } from './redis/redis.module';
import { RepairsModule } from './repairs/repairs.module';
import { RunsModule } from './runs/runs.module';
import { EmittedEventsModule } from './emitted-events/emitted-events.module';
import { SecretsModule } from './secrets/secrets.module';
import { StatsModule } from './stats/stats.module';
import { SessionModule } from './session/session.module';
import { TeamsModule } from './teams/teams.module';
import { TriggersApiModule } from './triggers/triggers.module';

/** How long a request waits for Redis to take a job before the run is left to the reconciler. */
const ENQUEUE_TIMEOUT_MS = 2000;

@Global()
@Module({})
class ConfigModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: API_CONFIG, useValue: config }],
      exports: [API_CONFIG],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE }),
        // A producer's connection: an enqueue while Redis is down fails fast (the run stays queued in
        // PostgreSQL for the reconciler) instead of holding the request until Redis is back.
        BullModule.forRoot({ connection: producerConnection(config.REDIS_URL) }),
        // Bounded too for a Redis down since the API started (its queues never became ready).
        EngineModule.forRoot({ redisUrl: config.REDIS_URL, enqueueTimeoutMs: ENQUEUE_TIMEOUT_MS }),
        TriggersModule.forRoot(),
        RedisModule,
        AuthModule,
        HealthModule,
        MetricsModule,
        LintModule,
        AutomationsModule,
        BundlesModule,
        RunsModule,
        NotificationsModule,
        HooksModule,
        EmittedEventsModule,
        SecretsModule,
        InboxModule,
        RepairsModule,
        StatsModule,
        EventsModule,
        SessionModule,
        ApiKeysModule,
        AuditModule,
        TeamsModule,
        TriggersApiModule,
        McpModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        // Flushes buffered spans when the application closes (a no-op with tracing off).
        TelemetryShutdownHook,
      ],
    };
  }
}
