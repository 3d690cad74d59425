import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type Stack, startStack } from './support/stack';

let stack: Stack;
let api: Api;

/** A TypeScript script: an interface, annotations, a generic and `as`; it throws on line 9 when asked to. */
const typedScript = [
  'interface Order { id: number; lines: { price: number; qty: number }[] }',
  'type Total = { id: number; total: number };',
  '',
  'function sum<T extends { price: number; qty: number }>(lines: T[]): number {',
  '  return lines.reduce((acc: number, line: T) => acc + line.price * line.qty, 0);',
  '}',
  '',
  'export default async function run(input: { order: Order; fail?: boolean }, ctx: any): Promise<Total> {',
  '  if (input.fail) throw new Error(`order ${input.order.id as number} refused`);',
  "  ctx.log.info('totalling', { id: input.order.id });",
  '  return { id: input.order.id, total: sum(input.order.lines) };',
  '}',
].join('\n');
const throwLine = 9;
// V8 places an Error's position at its `new`.
const throwColumn = typedScript.split('\n')[throwLine - 1]!.indexOf('new Error') + 1;

beforeAll(async () => {
  stack = await startStack('tscript_typescript', { redisDb: 4 });
  api = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

async function run(automationId: string, input: unknown) {
  const started = await api('POST', `/api/v1/automations/${automationId}/runs`, { input });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return waitForRun(api, started.body.id);
}

describe('TypeScript scripts over HTTP', () => {
  it('lints TypeScript, with TypeScript errors and refused constructs at their line and column', async () => {
    const clean = await api('POST', '/api/v1/lint', { source: typedScript });
    expect(clean.status).toBe(200);
    expect(clean.body).toEqual({ ok: true, language: 'typescript', diagnostics: [] });

    const plain = await api('POST', '/api/v1/lint', { source: 'export default async (input) => input;' });
    expect(plain.body).toEqual({ ok: true, language: 'javascript', diagnostics: [] });

    const broken = await api('POST', '/api/v1/lint', {
      source: 'export default async (input: number) => {\n  const n: = input;\n};\n',
      language: 'typescript',
    });
    expect(broken.body.ok).toBe(false);
    expect(broken.body.diagnostics).toEqual([
      expect.objectContaining({ line: 2, column: 12, ruleId: 'syntax', severity: 'error' }),
    ]);

    const enumScript = 'const a = 1;\nenum Level { Low, High }\nexport default async () => Level.High + a;\n';
    const refused = await api('POST', '/api/v1/lint', { source: enumScript });
    expect(refused.body).toMatchObject({ ok: false, language: 'typescript' });
    expect(refused.body.diagnostics).toEqual([
      expect.objectContaining({ line: 2, column: 1, ruleId: 'typescript-unsupported' }),
    ]);
    expect(refused.body.diagnostics[0].message).toMatch(/enum .*type-stripped/);

    const badLanguage = await api('POST', '/api/v1/lint', { source: typedScript, language: 'coffeescript' });
    expect(badLanguage.status).toBe(400);
    expect(JSON.stringify(badLanguage.body)).toContain('language');
  });

  it('deploys a TypeScript automation as written, runs it to success, and reports a throw at the TypeScript line', async () => {
    const created = await api('POST', '/api/v1/automations', { name: 'ts-orders', source: typedScript });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // Detected, stored with the version, and the source kept as TypeScript.
    expect(created.body.deployedVersion).toMatchObject({
      number: 1,
      language: 'typescript',
      source: typedScript,
    });

    const ok = await run(created.body.id, {
      order: {
        id: 7,
        lines: [
          { price: 2, qty: 3 },
          { price: 1, qty: 4 },
        ],
      },
    });
    expect(ok.status).toBe('succeeded');
    expect(ok.output).toEqual({ id: 7, total: 10 });

    const failed = await run(created.body.id, { order: { id: 8, lines: [] }, fail: true });
    expect(failed.status).toBe('action_needed');
    expect(failed.error.message).toBe('order 8 refused');
    // The sandbox ran stripped JavaScript whose positions are the TypeScript's.
    expect(failed.error.location).toBe(`script.js:${throwLine}:${throwColumn}`);

    const detail = await api('GET', `/api/v1/automations/${created.body.id}`);
    expect(detail.body.deployedVersion.language).toBe('typescript');
  });

  it('keeps JavaScript JavaScript, honours an explicit language and refuses TypeScript it cannot strip', async () => {
    const created = await api('POST', '/api/v1/automations', {
      name: 'js-then-ts',
      source: 'export default async (input) => ({ echoed: input });',
    });
    expect(created.body.deployedVersion.language).toBe('javascript');

    const typed = await api('POST', `/api/v1/automations/${created.body.id}/versions`, {
      source: 'export default async (input) => ({ echoed: input });',
      language: 'typescript',
    });
    expect(typed.status, JSON.stringify(typed.body)).toBe(201);
    expect(typed.body.language).toBe('typescript');

    const refused = await api('POST', `/api/v1/automations/${created.body.id}/versions`, {
      source:
        'class Lead {\n  constructor(private id: string) {}\n}\nexport default async () => new Lead("a");\n',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('AUTOMATION_INVALID_SOURCE');
    expect(refused.body.error.message).toMatch(/^source: line 2:\d+: TypeScript parameter property/);
    expect(refused.body.error.details.diagnostics[0]).toMatchObject({
      line: 2,
      ruleId: 'typescript-unsupported',
    });

    const versions = await api('GET', `/api/v1/automations/${created.body.id}/versions`);
    expect(
      versions.body.items.map((v: { number: number; language: string }) => [v.number, v.language]),
    ).toEqual(
      expect.arrayContaining([
        [1, 'javascript'],
        [2, 'typescript'],
      ]),
    );
    expect(versions.body.items).toHaveLength(2);
  });
});
