// First: tracing starts before any application module is loaded.
import './telemetry';
import 'reflect-metadata';
import { checkExampleSecrets } from '@mendflow/common';
import { loadApiConfig } from './config/api-config';
import { apiLogger, createApp } from './create-app';

async function main(): Promise<void> {
  const config = loadApiConfig();
  checkExampleSecrets(
    process.env,
    ['MENDFLOW_SECRET_KEY', 'MENDFLOW_ADMIN_PASSWORD', 'MENDFLOW_BOOTSTRAP_API_KEY'],
    (message) => apiLogger.warn(message),
  );
  const app = await createApp(config);
  await app.listen(config.PORT);
  apiLogger.log(`Mendflow API listening on :${config.PORT}`);
  if (!config.METRICS_TOKEN) apiLogger.log('/metrics is off: set METRICS_TOKEN to let Prometheus scrape it');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
