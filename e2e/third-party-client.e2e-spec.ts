import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_KEY, type Stack, startStack } from './support/stack';

// A client someone else would write: types generated from the document the running API serves, the
// public openapi-fetch, strict TypeScript, nothing from this repository. It proves the document is
// enough to build a working, type-checked client.
const ROOT = resolve(import.meta.dirname, '..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

const PROGRAM = `import createClient from 'openapi-fetch';
import type { components, paths } from './api.js';

type Run = components['schemas']['Run'];

const client = createClient<paths>({
  baseUrl: process.env.MENDFLOW_URL,
  headers: { authorization: \`Bearer \${process.env.MENDFLOW_KEY}\` },
});

const created = await client.POST('/api/v1/automations', {
  body: {
    name: 'third-party sum',
    source: 'export default async function run(input) { return { sum: input.a + input.b }; }',
  },
});
if (!created.data) throw new Error(\`create answered \${created.response.status}: \${created.error?.error.code}\`);
const automation: components['schemas']['AutomationDetail'] = created.data;

const started = await client.POST('/api/v1/automations/{id}/runs', {
  params: { path: { id: automation.id } },
  body: { input: { a: 2, b: 3 } },
});
if (!started.data) throw new Error(\`start answered \${started.response.status}: \${started.error?.error.code}\`);

const settled: Run['status'][] = ['succeeded', 'failed', 'cancelled', 'action_needed'];
let run: Run = started.data;
const deadline = Date.now() + 30_000;
while (!settled.includes(run.status)) {
  if (Date.now() > deadline) throw new Error(\`run \${run.id} still \${run.status}\`);
  await new Promise((done) => setTimeout(done, 100));
  const read = await client.GET('/api/v1/runs/{id}', { params: { path: { id: run.id } } });
  if (!read.data) throw new Error(\`read answered \${read.response.status}: \${read.error?.error.code}\`);
  run = read.data;
}

const missing = await client.GET('/api/v1/runs/{id}', {
  params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
});
console.log(
  JSON.stringify({
    automation: { id: automation.id, version: automation.deployedVersion?.number },
    run: { id: run.id, status: run.status, output: run.output, attempts: run.attempts?.length },
    missing: { status: missing.response.status, code: missing.error?.error.code },
  }),
);
`;

// Reads a field the document does not have and assigns a status to a number: a typed client refuses both.
const WRONG = `import type { components } from './api.js';
export function wrong(run: components['schemas']['Run']): number {
  const status: number = run.status;
  return status + run.notAField;
}
`;

let stack: Stack;
let dir: string;

beforeAll(async () => {
  stack = await startStack('contract_client', { redisDb: 14 });
  dir = mkdtempSync(join(tmpdir(), 'mendflow-third-party-'));
  // Only the two packages a client installs: openapi-fetch, and Node's types for process.env.
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules/openapi-fetch'), join(dir, 'node_modules/openapi-fetch'));
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'es2023',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['node'],
        skipLibCheck: true,
        outDir: 'out',
      },
      files: ['client.ts'],
    }),
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const tsc = (...args: string[]) =>
  execFileSync(process.execPath, [TSC, ...args], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });

describe('a third-party client generated from the served OpenAPI document', () => {
  it('type-checks under strict TypeScript and creates an automation, starts a run and reads it', async () => {
    const document = await (await fetch(`${stack.apiUrl}/api/openapi.json`)).text();
    writeFileSync(join(dir, 'api.ts'), COMMENT_HEADER + astToString(await openapiTS(document)));
    writeFileSync(join(dir, 'client.ts'), PROGRAM);
    writeFileSync(join(dir, 'wrong.ts'), WRONG);
    writeFileSync(
      join(dir, 'tsconfig.wrong.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, files: ['wrong.ts'] }),
    );

    tsc('-p', 'tsconfig.json', '--noEmit');
    // The types are real, not `any`: a wrong use of them does not compile.
    let refusal = '';
    try {
      tsc('-p', 'tsconfig.wrong.json');
    } catch (error) {
      refusal = String((error as { stdout?: string }).stdout);
    }
    expect(refusal).toMatch(/wrong\.ts.*TS2322/);
    expect(refusal).toMatch(/notAField/);

    tsc('-p', 'tsconfig.json');
    const output = execFileSync(process.execPath, [join(dir, 'out/client.js')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, MENDFLOW_URL: stack.apiUrl, MENDFLOW_KEY: BOOTSTRAP_KEY },
    });
    const result = JSON.parse(output.trim().split('\n').pop() as string);
    expect(result).toMatchObject({
      automation: { version: 1 },
      run: { status: 'succeeded', output: { sum: 5 }, attempts: 1 },
      missing: { status: 404, code: 'RUN_NOT_FOUND' },
    });
  }, 120_000);
});
