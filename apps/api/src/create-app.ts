import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { securityHeaders } from './common/security-headers';
import { answerClientErrors } from './common/client-errors';
import { installApiLogger, requestLogging } from './common/logging';
import { useRequestGuards } from './common/request-guards';
import type { ApiConfig } from './config/api-config';
import { RedisIoAdapter } from './events/redis-io.adapter';
import { mountOpenApi } from './openapi';

export async function createApp(config: ApiConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: installApiLogger(config.LOG_LEVEL),
    bodyParser: false,
  });
  // First, so every line of a request (a refused body included) carries its id.
  app.use(requestLogging());
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

export { installApiLogger };
export const apiLogger = new Logger('Api');
