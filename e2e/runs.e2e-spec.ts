import { readFileSync } from 'node:fs';
import { createDb } from '@mendflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { queryDatabase } from './support/databases';
import { type Stack, startStack } from './support/stack';

let stack: Stack;
let api: Api;
const METRICS_TOKEN = 'e2e-runs-metrics-token-0123456789';

async function createAutomation(name: string, source: string, manifest?: unknown) {
  const { status, body } = await api('POST', '/api/v1/automations', {
    name,
    source,
    ...(manifest !== undefined && { manifest }),
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body as { id: string; deployedVersion: { number: number } };
}

async function runOnce(automationId: string, input?: unknown) {
  const started = await api(
    'POST',
    `/api/v1/automations/${automationId}/runs`,
    input === undefined ? {} : { input },
  );
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  expect(started.body.status).toBe('queued');
  return waitForRun(api, started.body.id);
}

beforeAll(async () => {
  stack = await startStack('runs', {
    redisDb: 11,
    apiEnv: { METRICS_TOKEN },
    // A retention pass every second, so one test can watch the worker's scheduled pass delete a run.
    workerEnv: { RETENTION_INTERVAL_MS: '1000', RETENTION_TIME_BUDGET_MS: '1000' },
  });
  api = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

describe('the walking skeleton over HTTP (api and worker as separate processes)', () => {
  it('runs a script to succeeded with its output, and keeps the timeline', async () => {
    const automation = await createAutomation(
      'sum',
      `export default async function run(input, ctx) {
         ctx.log.info('adding', { a: input.a, b: input.b });
         console.log('run', ctx.run.attempt);
         return { sum: input.a + input.b };
       }`,
    );
    expect(automation.deployedVersion.number).toBe(1);
    const run = await runOnce(automation.id, { a: 2, b: 3 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ sum: 5 });
    expect(run.attempts).toHaveLength(1);
    expect(run.attempts[0]).toMatchObject({ number: 1, status: 'succeeded', versionNumber: 1 });

    const events = await api('GET', `/api/v1/runs/${run.id}/events`);
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual([
      'run.queued',
      'run.running',
      'run.succeeded',
    ]);
    expect(events.body.items.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);

    const logs = await api('GET', `/api/v1/runs/${run.id}/logs`);
    const lines = logs.body.items[0].logs.map((l: { message: string }) => l.message);
    expect(lines).toEqual(expect.arrayContaining(['adding', expect.stringContaining('run 1')]));

    const history = await api('GET', `/api/v1/runs?automationId=${automation.id}`);
    expect(history.body.items[0]).toMatchObject({ id: run.id, status: 'succeeded', automationName: 'sum' });
  });

  // Since failure handling (issue 4), a failed attempt that Mendflow cannot retry or repair by itself
  // pauses the run as action_needed with an inbox item, instead of ending it silently as failed.
  it('stops a throwing script with its message and the line it threw on, and asks a person', async () => {
    const automation = await createAutomation(
      'thrower',
      `export default async function run(input, ctx) {
         const order = input.order;
         throw new Error('order ' + order + ' has no customer');
       }`,
    );
    const run = await runOnce(automation.id, { order: 42 });
    expect(run.status).toBe('action_needed');
    expect(run.error.message).toBe('order 42 has no customer');
    expect(run.error.location).toMatch(/:3:/);
    expect(run.attempts[0]).toMatchObject({
      status: 'failed',
      error: { message: 'order 42 has no customer' },
    });
    const inbox = await api('GET', `/api/v1/inbox?runId=${run.id}`);
    expect(inbox.body.items).toHaveLength(1);
  });

  it('stops an infinite loop, a never-settling promise and a memory bomb, and keeps serving', async () => {
    const limits = { limits: { timeoutMs: 1500, memoryMb: 32 } };
    const loop = await createAutomation(
      'loop',
      'export default async function run() { for (;;) {} }',
      limits,
    );
    const hang = await createAutomation(
      'hang',
      'export default async function run() { await new Promise(() => {}); }',
      limits,
    );
    const bomb = await createAutomation(
      'bomb',
      'export default async function run() { const a = []; for (;;) a.push(new Array(1e5).fill("x")); }',
      limits,
    );
    const [loopRun, hangRun, bombRun] = await Promise.all([
      runOnce(loop.id),
      runOnce(hang.id),
      runOnce(bomb.id),
    ]);
    for (const stopped of [loopRun, hangRun, bombRun]) {
      expect(stopped.status).toBe('action_needed');
      expect(stopped.attempts[0].status).toBe('failed');
    }
    expect(loopRun.error.message).toMatch(/time|limit/i);
    expect(hangRun.error.message).toMatch(/never settle|time|limit/i);
    expect(bombRun.error.message).toMatch(/memory/i);

    const ok = await createAutomation(
      'after-the-storm',
      'export default async function run() { return "still here"; }',
    );
    const after = await runOnce(ok.id);
    expect(after.status).toBe('succeeded');
    expect(after.output).toBe('still here');
  });

  it('answers a bad body with 400, a code and the field', async () => {
    const missingName = await api('POST', '/api/v1/automations', { source: 'export default async () => 1' });
    expect(missingName.status).toBe(400);
    expect(missingName.body.error.code).toBe('VALIDATION_FAILED');
    expect(missingName.body.error.message).toMatch(/^name/);

    const badManifest = await api('POST', '/api/v1/automations', {
      name: 'x',
      source: 'export default async () => 1',
      manifest: { limits: { timeoutMs: 'soon' } },
    });
    expect(badManifest.status).toBe(400);
    expect(badManifest.body.error.code).toBe('AUTOMATION_INVALID_MANIFEST');
    expect(badManifest.body.error.details.issues[0].path).toBe('manifest.limits.timeoutMs');

    const notJson = await api('POST', '/api/v1/automations', '{"name":', {
      'content-type': 'application/json',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('INVALID_JSON');

    const typed = await createAutomation(
      'typed-input',
      'export default async function run(input) { return input.n * 2; }',
      {
        inputSchema: { type: 'object', required: ['n'], properties: { n: { type: 'number' } } },
      },
    );
    const badInput = await api('POST', `/api/v1/automations/${typed.id}/runs`, { input: { n: 'two' } });
    expect(badInput.status).toBe(400);
    expect(badInput.body.error).toMatchObject({
      code: 'RUN_INPUT_INVALID',
      message: 'input.n: must be number',
    });

    const unknownRun = await api('GET', '/api/v1/runs/00000000-0000-4000-8000-000000000000');
    expect(unknownRun.status).toBe(404);
    expect(unknownRun.body.error.code).toBe('RUN_NOT_FOUND');
    const notAnId = await api('GET', '/api/v1/runs/not-an-id');
    expect(notAnId.status).toBe(404);
  });

  it('refuses a missing or wrong API key with 401 and the error envelope', async () => {
    const anonymous = apiClient(stack.apiUrl, null);
    const noKey = await anonymous('GET', '/api/v1/runs');
    expect(noKey.status).toBe(401);
    expect(noKey.body.error.code).toBe('UNAUTHENTICATED');
    const wrongKey = await apiClient(stack.apiUrl, 'mf_not_a_real_key_000000000000')(
      'GET',
      '/api/v1/automations',
    );
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('lints a script over HTTP with line, column and rule id for each problem, and refuses to deploy it', async () => {
    const source = [
      "import fs from 'node:fs';",
      'export default async function run(input, ctx) {',
      "  const token = await ctx.secrets.get('STRIPE_KEY');",
      "  await ctx.fetch('https://evil.example.com/x');",
      '  return process.env.HOME;',
      '}',
    ].join('\n');
    const linted = await api('POST', '/api/v1/lint', {
      source,
      manifest: { permissions: { hosts: ['api.example.com'] } },
    });
    expect(linted.status).toBe(200);
    expect(linted.body.ok).toBe(false);
    const byRule = Object.fromEntries(linted.body.diagnostics.map((d: any) => [d.ruleId, d]));
    expect(byRule['mendflow/no-import']).toMatchObject({ line: 1, column: 1, severity: 'error' });
    expect(byRule['mendflow/undeclared-secret']).toMatchObject({ line: 3, severity: 'error' });
    expect(byRule['mendflow/undeclared-host']).toMatchObject({ line: 4, severity: 'error' });
    expect(byRule['mendflow/undeclared-host'].message).toContain('evil.example.com');
    expect(byRule['mendflow/forbidden-global']).toMatchObject({ line: 5, column: 10 });
    const missingExport = await api('POST', '/api/v1/lint', { source: 'const x = 1;' });
    expect(missingExport.body.diagnostics[0]).toMatchObject({
      ruleId: 'mendflow/default-export',
      line: 1,
      column: 1,
    });
    const syntax = await api('POST', '/api/v1/lint', { source: 'export default async function run( {' });
    expect(syntax.body.diagnostics[0]).toMatchObject({ ruleId: 'syntax', line: 1 });

    const refused = await api('POST', '/api/v1/automations', { name: 'linted', source });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('AUTOMATION_INVALID_SOURCE');
    expect(refused.body.error.details.diagnostics.length).toBeGreaterThanOrEqual(4);
  });

  it('keeps secret values out of the API, logs and output', async () => {
    expect((await api('PUT', '/api/v1/secrets/SHOP_TOKEN', { value: 's3cr3t-value-123' })).status).toBe(200);
    const listed = await api('GET', '/api/v1/secrets');
    expect(listed.body.items.map((s: { name: string }) => s.name)).toContain('SHOP_TOKEN');
    expect(JSON.stringify(listed.body)).not.toContain('s3cr3t');
    const automation = await createAutomation(
      'leaky',
      `export default async function run(input, ctx) {
         const token = await ctx.secrets.get('SHOP_TOKEN');
         ctx.log.info('token is ' + token);
         return { echoed: token, length: token.length };
       }`,
      { permissions: { secrets: ['SHOP_TOKEN'] } },
    );
    const run = await runOnce(automation.id);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ echoed: '***', length: 16 });
    const logs = await api('GET', `/api/v1/runs/${run.id}/logs`);
    expect(JSON.stringify(logs.body)).not.toContain('s3cr3t');
    expect(JSON.stringify(logs.body)).toContain('token is ***');
    const badName = await api('PUT', '/api/v1/secrets/not-valid', { value: 'x' });
    expect(badName.status).toBe(400);
    expect(badName.body.error.code).toBe('SECRET_INVALID_NAME');
  });

  it('returns the same run for the same idempotency key and input, and 409 for another input', async () => {
    const automation = await createAutomation(
      'idem',
      'export default async function run(input) { return input; }',
    );
    const first = await api('POST', `/api/v1/automations/${automation.id}/runs`, {
      input: 1,
      idempotencyKey: 'order-7',
    });
    const second = await api('POST', `/api/v1/automations/${automation.id}/runs`, {
      input: 1,
      idempotencyKey: 'order-7',
    });
    expect(second.body.id).toBe(first.body.id);
    const reused = await api('POST', `/api/v1/automations/${automation.id}/runs`, {
      input: 2,
      idempotencyKey: 'order-7',
    });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      details: { field: 'idempotencyKey', runId: first.body.id },
    });
    const run = await waitForRun(api, first.body.id);
    expect(run.output).toBe(1);
  });

  it('starts runs on what is deployed now, even when another process changed it behind this API', async () => {
    // The API keeps the deployed version per automation in memory; a deploy, pause or resume made by
    // another replica (or the worker's repair loop) reaches it only through PostgreSQL, as here.
    const automation = await createAutomation('moving', 'export default async () => "v1";');
    await api('POST', `/api/v1/automations/${automation.id}/versions`, {
      source: 'export default async () => "v2";',
    });
    expect((await runOnce(automation.id)).output).toBe('v2'); // the API has v2 in memory now
    const database = new URL(stack.databaseUrl).pathname.slice(1);
    const behindItsBack = (statement: string) => queryDatabase(database, statement, [automation.id]);

    await behindItsBack(`UPDATE automations SET deployed_version_id =
      (SELECT id FROM automation_versions WHERE automation_id = $1 AND number = 1) WHERE id = $1`);
    const rolledBack = await runOnce(automation.id);
    expect(rolledBack.output).toBe('v1');
    expect(rolledBack.versionNumber).toBe(1);

    await behindItsBack(`UPDATE automations SET status = 'paused' WHERE id = $1`);
    const refused = await api('POST', `/api/v1/automations/${automation.id}/runs`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('AUTOMATION_PAUSED');

    await behindItsBack(`UPDATE automations SET status = 'active' WHERE id = $1`);
    expect((await runOnce(automation.id)).status).toBe('succeeded');
  });

  it('serves health, readiness and the OpenAPI document without a key', async () => {
    expect((await fetch(`${stack.apiUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.apiUrl}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { postgres: true, redis: true } });
    const spec = (await (await fetch(`${stack.apiUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/v1/automations', '/api/v1/runs/{id}']),
    );
    // The committed document (apps/api/openapi.json, for clients and docs) must match what the code serves.
    const committed = JSON.parse(readFileSync('apps/api/openapi.json', 'utf8'));
    expect(spec, 'apps/api/openapi.json is stale: run `npm run openapi:write`').toEqual(committed);
    const metrics = await (
      await fetch(`${stack.apiUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    expect(metrics).toMatch(
      /mendflow_http_requests_total\{method="POST",route="\/api\/v1\/automations",status="201"\} \d+/,
    );
    expect(metrics).toMatch(/mendflow_runs\{status="succeeded"\} \d+/);
  });

  it("deletes an aged run through the worker's scheduled retention pass, and only that run", async () => {
    const automation = await createAutomation(
      'retention',
      'export default async function run() { return 1; }',
    );
    const aged = await runOnce(automation.id);
    const recent = await runOnce(automation.id);
    expect([aged.status, recent.status]).toEqual(['succeeded', 'succeeded']);
    const path = '/api/v1/workspaces/current/retention';
    const before = (await api('GET', path)).body;
    const settings = { runRetentionDays: 30, keepRunsPerAutomation: 0, auditRetentionDays: 365 };
    expect((await api('PUT', path, settings)).status).toBe(200);
    const db = createDb(stack.databaseUrl, { poolSize: 1 });
    try {
      await db.$executeRaw`UPDATE runs SET finished_at = now() - interval '31 days' WHERE id = ${aged.id}::uuid`;
      await expect
        .poll(async () => (await api('GET', `/api/v1/runs/${aged.id}`)).status, {
          timeout: 15_000,
          interval: 200,
        })
        .toBe(404);
      expect(await db.runEvent.count({ where: { runId: aged.id } })).toBe(0);
      expect(await db.runAttempt.count({ where: { runId: aged.id } })).toBe(0);
      expect((await api('GET', `/api/v1/runs/${recent.id}`)).body.status).toBe('succeeded');
      expect((await api('GET', `/api/v1/runs/${recent.id}/events`)).body.items).toHaveLength(3);
    } finally {
      await db.$disconnect();
      await api('PUT', path, {
        runRetentionDays: before.runRetentionDays,
        keepRunsPerAutomation: before.keepRunsPerAutomation,
        auditRetentionDays: before.auditRetentionDays,
      });
    }
  });
});
