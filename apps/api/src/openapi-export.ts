import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { loadApiConfig } from './config/api-config';
import { createApp } from './create-app';
import { buildOpenApiDocument } from './openapi';

/**
 * Writes the OpenAPI document the code produces to apps/api/openapi.json (`npm run openapi:write`).
 * The file is committed; the e2e suite fails when the served document drifts from it.
 */
async function main(): Promise<void> {
  const { app } = await createApp(loadApiConfig());
  const document = buildOpenApiDocument(app);
  const target = process.argv[2] ?? 'apps/api/openapi.json';
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${target}`);
  // The app was never listening; its connections need no graceful drain.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
