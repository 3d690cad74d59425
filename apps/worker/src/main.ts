import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { checkExampleSecrets } from '@mendflow/common';
import { loadWorkerConfig } from './config/worker-config';
import { ProcessLifecycle } from './lifecycle/process-lifecycle';
import { installWorkerLogger } from './lifecycle/worker-logger';
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
  });
  lifecycle.install();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, lifecycle), {
    logger,
  });
  lifecycle.attach(() => app.close());
  new Logger('Worker').log(`Mendflow worker started (concurrency ${config.WORKER_CONCURRENCY})`);
}

main().catch((error: unknown) => {
  new Logger('Worker').fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
