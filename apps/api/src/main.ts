// First: tracing starts before any application module is loaded.
import './telemetry';
import 'reflect-metadata';
import { checkExampleSecrets, ProcessLifecycle } from '@mendflow/common';
import { loggableError } from '@mendflow/db';
import { Logger } from '@nestjs/common';
import { loadApiConfig } from './config/api-config';
import { apiLogger, createApp, installApiLogger } from './create-app';

// After the requests drained, the shutdown hooks (database, Redis, queue connections) get this long.
const HOOKS_GRACE_MS = 5000;

async function main(): Promise<void> {
  installApiLogger(); // before anything logs: every line, a config error's too, is JSON
  const config = loadApiConfig();
  checkExampleSecrets(
    process.env,
    ['MENDFLOW_SECRET_KEY', 'MENDFLOW_ADMIN_PASSWORD', 'MENDFLOW_BOOTSTRAP_API_KEY'],
    (message) => apiLogger.warn(message),
  );
  // Installed before the boot, so a signal or a crash during it is bounded too.
  const lifecycle = new ProcessLifecycle({
    drainGraceMs: config.API_SHUTDOWN_GRACE_MS + HOOKS_GRACE_MS,
    fatalGraceMs: HOOKS_GRACE_MS,
    logger: new Logger('Lifecycle'),
    errorText: loggableError,
  });
  lifecycle.install();
  const api = await createApp(config);
  await api.app.listen(config.PORT);
  lifecycle.attach(async () => {
    await api.shutdown(config.API_SHUTDOWN_GRACE_MS);
  });
  apiLogger.log(`Mendflow API listening on :${config.PORT}`);
  if (!config.METRICS_TOKEN) apiLogger.log('/metrics is off: set METRICS_TOKEN to let Prometheus scrape it');
}

main().catch((error: unknown) => {
  apiLogger.fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
