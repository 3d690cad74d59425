// First: tracing starts before any application module is loaded.
import './telemetry';
import 'reflect-metadata';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { checkExampleSecrets, ProcessLifecycle } from '@mendflow/common';
import { shutdownTelemetry } from '@mendflow/telemetry';
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
  checkExampleSecrets(process.env, ['MENDFLOW_SECRET_KEY'], (message) => new Logger('Worker').warn(message));
  // Installed before the boot, so a signal or a crash during it is bounded too.
  const lifecycle = new ProcessLifecycle({
    drainGraceMs: config.WORKER_SHUTDOWN_GRACE_MS,
    fatalGraceMs: config.WORKER_FATAL_GRACE_MS,
    logger: new Logger('Lifecycle'),
  });
  lifecycle.install();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, lifecycle), {
    logger: LOG_LEVELS[config.LOG_LEVEL],
  });
  // The spans of the drain are flushed after the application closed, within the same grace.
  lifecycle.attach(async () => {
    await app.close();
    await shutdownTelemetry();
  });
  new Logger('Worker').log(`Mendflow worker started (concurrency ${config.WORKER_CONCURRENCY})`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
