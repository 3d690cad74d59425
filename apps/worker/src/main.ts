// First: tracing starts before any application module is loaded.
import './telemetry';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { checkExampleSecrets, ProcessLifecycle } from '@mendflow/common';
import { loggableError } from '@mendflow/db';
import { shutdownTelemetry } from '@mendflow/telemetry';
import { loadWorkerConfig } from './config/worker-config';
import { installWorkerLogger } from './logging/worker-logger';
import { WorkerModule } from './worker.module';

/** A Nest application context with no HTTP server: BullMQ processors, the sandbox and a health probe. */
async function main(): Promise<void> {
  // Before anything logs: every line, a config error's too, is JSON (docs/operations.md, "Logs").
  const logger = installWorkerLogger();
  const config = loadWorkerConfig();
  logger.setLevel(config.LOG_LEVEL);
  checkExampleSecrets(process.env, ['MENDFLOW_SECRET_KEY'], (message) => new Logger('Worker').warn(message));
  // Installed before the boot, so a signal or a crash during it is bounded too.
  const lifecycle = new ProcessLifecycle({
    drainGraceMs: config.WORKER_SHUTDOWN_GRACE_MS,
    fatalGraceMs: config.WORKER_FATAL_GRACE_MS,
    logger: new Logger('Lifecycle'),
    errorText: loggableError,
  });
  lifecycle.install();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, lifecycle), {
    logger,
  });
  // The spans of the drain are flushed after the application closed, within the same grace.
  lifecycle.attach(async () => {
    await app.close();
    await shutdownTelemetry();
  });
  new Logger('Worker').log(`Mendflow worker started (concurrency ${config.WORKER_CONCURRENCY})`);
}

main().catch((error: unknown) => {
  new Logger('Worker').fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
