import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { securityHeaders } from './common/security-headers';
import { answerClientErrors } from './common/client-errors';
import { httpTracing } from './common/http-tracing';
import { useRequestGuards } from './common/request-guards';
import type { ApiConfig } from './config/api-config';
import { RedisIoAdapter } from './events/redis-io.adapter';
import { mountOpenApi } from './openapi';

const LOG_LEVELS: Record<ApiConfig['LOG_LEVEL'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

export async function createApp(config: ApiConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: LOG_LEVELS[config.LOG_LEVEL],
    bodyParser: false,
  });
  // First: every request's handling, its guards and errors included, runs inside its span.
  app.use(httpTracing());
  app.use(securityHeaders());
  useRequestGuards(app, { webhookMaxBodyBytes: config.WEBHOOK_MAX_BODY_BYTES });
  answerClientErrors(app.getHttpServer());
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.enableShutdownHooks();
  const io = new RedisIoAdapter(app, config.REDIS_URL);
  await io.connect();
  app.useWebSocketAdapter(io);
  mountOpenApi(app);
  return app;
}

export const apiLogger = new Logger('Api');
