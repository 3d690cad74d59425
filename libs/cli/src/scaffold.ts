import { copyFile, mkdir, writeFile, access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CliError, EXIT } from './output';

/** The ctx type definitions shipped by @mendflow/sdk (compiled from libs/sdk/src/ctx.ts). */
export function ctxTypesPath(): string {
  return join(dirname(require.resolve('@mendflow/sdk/package.json')), 'dist', 'ctx.d.ts');
}

export const CTX_TYPES_FILE = 'mendflow-ctx.d.ts';

const JS_SCRIPT = `/**
 * A Mendflow script: the default export runs once per run. \`ctx\` is everything it can use
 * (docs/scripts.md); its types are in ${CTX_TYPES_FILE}, so your editor completes \`ctx.\`.
 *
 * @param {{ name?: string }} input
 * @param {import('./mendflow-ctx').Ctx} ctx
 */
export default async function run(input, ctx) {
  const name = input?.name ?? 'world';
  ctx.log.info('greeting', { name });
  return { greeting: \`hello, \${name}\` };
}
`;

const TS_SCRIPT = `// A Mendflow script in TypeScript: the default export runs once per run; \`ctx\` is everything it can
// use (docs/scripts.md), typed by ${CTX_TYPES_FILE}.
export default async function run(input: { name?: string }, ctx: import('./mendflow-ctx').Ctx) {
  const name = input?.name ?? 'world';
  ctx.log.info('greeting', { name });
  return { greeting: \`hello, \${name}\` };
}
`;

const MANIFEST = {
  permissions: { hosts: [], secrets: [] },
  limits: { timeoutMs: 30000 },
};

const EDITOR_CONFIG = {
  compilerOptions: {
    target: 'ES2023',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    checkJs: true,
    strict: true,
    noEmit: true,
  },
  include: ['*.js', '*.ts'],
};

export interface Scaffolded {
  dir: string;
  files: string[];
}

/** Writes a script, its manifest, the ctx types and an editor config into `dir`; refuses to overwrite. */
export async function scaffold(dir: string, typescript: boolean): Promise<Scaffolded> {
  const abs = resolve(dir);
  const script = typescript ? 'script.ts' : 'script.js';
  const config = typescript ? 'tsconfig.json' : 'jsconfig.json';
  const files = [script, 'manifest.json', CTX_TYPES_FILE, config];
  for (const file of files) {
    const taken = await access(join(abs, file)).then(
      () => true,
      () => false,
    );
    if (taken)
      throw new CliError(
        `${join(dir, file)} exists: init writes into an empty folder`,
        EXIT.failed,
        'FILE_EXISTS',
      );
  }
  await mkdir(abs, { recursive: true });
  await writeFile(join(abs, script), typescript ? TS_SCRIPT : JS_SCRIPT);
  await writeFile(join(abs, 'manifest.json'), `${JSON.stringify(MANIFEST, null, 2)}\n`);
  await copyFile(ctxTypesPath(), join(abs, CTX_TYPES_FILE));
  await writeFile(join(abs, config), `${JSON.stringify(EDITOR_CONFIG, null, 2)}\n`);
  return { dir: abs, files };
}
