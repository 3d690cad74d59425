import 'reflect-metadata';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadWorkerConfig, type WorkerConfig } from './config/worker-config';
import { WorkerModule } from './worker.module';

const LOG_LEVELS: Record<WorkerConfig['LOG_LEVEL'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/** A Nest application context with no HTTP server: BullMQ processors, the sandbox and a health probe. */
async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: LOG_LEVELS[config.LOG_LEVEL],
  });
  app.enableShutdownHooks();
  new Logger('Worker').log(`Mendflow worker started (concurrency ${config.WORKER_CONCURRENCY})`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
