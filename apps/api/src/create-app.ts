import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { securityHeaders } from './common/security-headers';
import { answerClientErrors } from './common/client-errors';
import { httpTracing } from './common/http-tracing';
import { installApiLogger, requestLogging } from './common/logging';
import { useRequestGuards } from './common/request-guards';
import type { ApiConfig } from './config/api-config';
import { RedisIoAdapter } from './events/redis-io.adapter';
import { DrainState } from './lifecycle/drain-state';
import { type DrainOutcome, HttpDrain } from './lifecycle/http-drain';
import { mountOpenApi } from './openapi';

export interface ApiApp {
  app: NestExpressApplication;
  /**
   * Stops this process without cutting what is under way: /readyz turns 503, live sockets are told to
   * reconnect, the listener closes, requests under way finish (up to `graceMs`), then the Nest shutdown
   * hooks close the database, Redis and queue connections.
   */
  shutdown(graceMs: number): Promise<DrainOutcome>;
}

export async function createApp(config: ApiConfig): Promise<ApiApp> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: installApiLogger(config.LOG_LEVEL),
    bodyParser: false,
  });
  // First: every request's handling, its guards and errors included, runs inside its span.
  app.use(httpTracing());
  // Then its log context, so every line of a request (a refused body included) carries its id and trace.
  app.use(requestLogging());
  app.use(securityHeaders());
  useRequestGuards(app, { webhookMaxBodyBytes: config.WEBHOOK_MAX_BODY_BYTES });
  answerClientErrors(app.getHttpServer());
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  // No enableShutdownHooks: main.ts's ProcessLifecycle calls shutdown() on a signal, with a bound.
  const drain = new HttpDrain(app.getHttpServer());
  const io = new RedisIoAdapter(app, config.REDIS_URL);
  await io.connect();
  app.useWebSocketAdapter(io);
  mountOpenApi(app);
  return {
    app,
    async shutdown(graceMs) {
      app.get(DrainState).begin();
      const sockets = io.closeClientTransports();
      const outcome = await drain.drain(graceMs);
      apiLogger.log(
        `drained: ${sockets} live connection(s) told to reconnect, ${outcome.abandoned} request(s) cut at the grace`,
      );
      await app.close();
      return outcome;
    },
  };
}

export { installApiLogger };
export const apiLogger = new Logger('Api');
