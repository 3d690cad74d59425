import 'reflect-metadata';
import { checkExampleSecrets } from '@mendflow/common';
import { loadApiConfig } from './config/api-config';
import { apiLogger, createApp, installApiLogger } from './create-app';

async function main(): Promise<void> {
  installApiLogger(); // before anything logs: every line, a config error's too, is JSON
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
  apiLogger.fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
