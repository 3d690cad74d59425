import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Tests import the libs' TypeScript sources directly, so unit and integration tests need no build;
// SWC compiles them because NestJS needs decorator metadata, which esbuild does not emit.
const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));
// Most specific first: a bare '@mendflow/common' entry would also catch its subpaths.
const alias = [
  ...['host-patterns', 'storable'].map((module) => ({
    find: `@mendflow/common/${module}`,
    replacement: fileURLToPath(new URL(`./libs/common/src/${module}.ts`, import.meta.url)),
  })),
  {
    // Loaded by sandbox processes, which must not pull zod in with the contracts' index.
    find: '@mendflow/contracts/waits',
    replacement: fileURLToPath(new URL('./libs/contracts/src/waits.ts', import.meta.url)),
  },
  {
    // The event names and policy codes, for the sandbox processes likewise.
    find: '@mendflow/contracts/triggers',
    replacement: fileURLToPath(new URL('./libs/contracts/src/triggers.ts', import.meta.url)),
  },
  {
    // The HTTP API's response schemas (browser-safe: the dashboard's types come from them too).
    find: '@mendflow/contracts/api',
    replacement: fileURLToPath(new URL('./libs/contracts/src/api/index.ts', import.meta.url)),
  },
  ...Object.entries({
    '@mendflow/contracts': lib('contracts'),
    '@mendflow/common': lib('common'),
    '@mendflow/db': lib('db'),
    '@mendflow/queue': lib('queue'),
    '@mendflow/sandbox': lib('sandbox'),
    '@mendflow/lint': lib('lint'),
    '@mendflow/failure': lib('failure'),
    '@mendflow/events': lib('events'),
    '@mendflow/engine': lib('engine'),
    '@mendflow/notify': lib('notify'),
    '@mendflow/triggers': lib('triggers'),
    '@mendflow/sdk': lib('sdk'),
    '@mendflow/telemetry': lib('telemetry'),
  }).map(([find, replacement]) => ({ find, replacement })),
];
const plugins = [swc.vite({ module: { type: 'es6' } })];

export default defineConfig({
  test: {
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          execArgv: ['--no-node-snapshot'],
          include: [
            '{apps,libs}/*/src/**/*.spec.ts',
            'apps/web/{lib,front-door}/**/*.spec.ts',
            'scripts/**/*.spec.ts',
          ],
          environment: 'node',
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'integration',
          execArgv: ['--no-node-snapshot'],
          include: ['{apps,libs}/*/src/**/*.int-spec.ts', 'scripts/**/*.int-spec.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e-spec.ts'],
          globalSetup: ['e2e/support/template-database.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      // The fault-injection suite (npm run test:chaos): minutes long, and it kills and restarts services
      // of its own, so a plain `vitest run` leaves it out; only MENDFLOW_CHAOS=1 (set by the script) adds it.
      ...(process.env.MENDFLOW_CHAOS === '1'
        ? [
            {
              test: {
                name: 'chaos',
                include: ['e2e/chaos/**/*.chaos-spec.ts'],
                environment: 'node',
                testTimeout: 600_000,
                hookTimeout: 180_000,
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
