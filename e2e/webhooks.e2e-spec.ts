import { githubSignature, stripeSignature } from '@mendflow/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type Stack, startStack } from './support/stack';

let stack: Stack;
let api: Api;

const RATE_LIMIT = 5;
const MAX_BODY = 64 * 1024;

interface HookAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

async function createHookAutomation(name: string, source: string, triggers: unknown[]) {
  const created = await api('POST', '/api/v1/automations', { name, source, manifest: { triggers } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  const token = await api('POST', `/api/v1/automations/${id}/webhook/token`);
  expect(token.status, JSON.stringify(token.body)).toBe(201);
  return { id, token: token.body.token as string, rotated: token.body };
}

async function post(
  path: string,
  body: string | Buffer | undefined,
  headers: Record<string, string> = {},
): Promise<HookAnswer> {
  const response = await fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

const hook = (id: string, token: string, query = '') => `/api/v1/hooks/${id}/${token}${query}`;
const echo = 'export default async function run(input) { return input; }';

async function runCount(automationId: string) {
  const runs = await api('GET', `/api/v1/runs?automationId=${automationId}&limit=100`);
  return (runs.body.items as unknown[]).length;
}

beforeAll(async () => {
  stack = await startStack('webhooks', {
    redisDb: 3,
    apiEnv: { WEBHOOK_RATE_LIMIT: String(RATE_LIMIT), WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY) },
  });
  api = apiClient(stack.apiUrl);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('webhooks', () => {
  it('starts a run from JSON, form and text bodies with the body, query and selected headers as input', async () => {
    const { id, token, rotated } = await createHookAutomation('hook-echo', echo, [
      { type: 'webhook', headers: ['x-event'] },
    ]);
    expect(token).toMatch(/^whk_[A-Za-z0-9_-]{43}$/);
    expect(rotated).toMatchObject({
      path: hook(id, token),
      url: `${stack.apiUrl}${hook(id, token)}`,
      tokenPrefix: token.slice(0, 12),
    });
    const described = await api('GET', `/api/v1/automations/${id}/webhook`);
    expect(described.body).toEqual({
      enabled: true,
      hasToken: true,
      tokenPrefix: token.slice(0, 12),
      createdAt: rotated.createdAt,
      urlTemplate: `/api/v1/hooks/${id}/<token>`,
      headers: ['x-event'],
      signature: null,
    });
    expect(JSON.stringify(described.body)).not.toContain(token);

    const cases: { headers: Record<string, string>; body: string; expected: Record<string, unknown> }[] = [
      {
        headers: { 'content-type': 'application/json', 'x-event': 'push', 'x-other': 'dropped' },
        body: '{"order":7}',
        expected: { body: { order: 7 }, encoding: 'json', contentType: 'application/json' },
      },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1&a=2&b=x+y',
        expected: { body: { a: ['1', '2'], b: 'x y' }, encoding: 'form' },
      },
      {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: 'hello hook',
        expected: { body: 'hello hook', encoding: 'text', contentType: 'text/plain' },
      },
    ];
    for (const { headers, body, expected } of cases) {
      const answer = await post(hook(id, token, '?source=ci'), body, headers);
      expect(answer.status, answer.text).toBe(202);
      expect(answer.body).toEqual({ runId: expect.any(String), status: 'queued' });
      const run = await waitForRun(api, answer.body.runId);
      expect(run.status).toBe('succeeded');
      expect(run.trigger).toBe('webhook');
      expect(run.triggerContext).toEqual({
        kind: 'webhook',
        contentType: expected.contentType ?? headers['content-type'],
      });
      expect(run.output).toMatchObject({ ...expected, query: { source: 'ci' } });
      expect(run.output.headers).toEqual(headers['x-event'] ? { 'x-event': 'push' } : {});
    }
  });

  it('answers 404 with one body for a wrong token, a rotated token, an unknown automation and no webhook trigger', async () => {
    const { id, token } = await createHookAutomation('hook-rotate', echo, [{ type: 'webhook' }]);
    const rotated = await api('POST', `/api/v1/automations/${id}/webhook/token`);
    expect(rotated.status).toBe(201);
    const fresh = rotated.body.token as string;
    expect(fresh).not.toBe(token);
    const noTrigger = await createHookAutomation('hook-none', echo, []);
    const described = await api('GET', `/api/v1/automations/${noTrigger.id}/webhook`);
    expect(described.body).toMatchObject({ enabled: false, hasToken: true });

    const json = { 'content-type': 'application/json' };
    const refusals = await Promise.all([
      post(hook(id, token), '{}', json), // the old token, right after rotation
      post(hook(id, `${fresh.slice(0, -1)}A`), '{}', json),
      post(hook('00000000-0000-4000-8000-000000000000', fresh), '{}', json),
      post(hook('not-a-uuid', fresh), '{}', json),
      post(hook(noTrigger.id, noTrigger.token), '{}', json),
    ]);
    for (const refused of refusals) {
      expect(refused.status).toBe(404);
      expect(refused.text).toBe(refusals[0]!.text);
    }
    expect(refusals[0]!.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no webhook at this URL' } });
    expect((await post(hook(id, fresh), '{}', json)).status).toBe(202);
  });

  it('checks a GitHub signature: valid starts a run, invalid answers 401 and starts nothing', async () => {
    const secret = 'gh-webhook-secret';
    expect((await api('PUT', '/api/v1/secrets/GH_HOOK', { value: secret })).status).toBe(200);
    const { id, token } = await createHookAutomation('hook-github', echo, [
      { type: 'webhook', signature: { scheme: 'github', secret: 'GH_HOOK' }, headers: ['x-github-event'] },
    ]);
    const body = '{"action":"opened","number":1}';
    const headers = { 'content-type': 'application/json', 'x-github-event': 'pull_request' };

    const valid = await post(hook(id, token), body, {
      ...headers,
      'x-hub-signature-256': githubSignature(secret, body),
    });
    expect(valid.status, valid.text).toBe(202);

    const wrong = await post(hook(id, token), body, {
      ...headers,
      'x-hub-signature-256': githubSignature('not-the-secret', body),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const missing = await post(hook(id, token), body, headers);
    expect(missing.body.error).toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
      message: expect.stringContaining('x-hub-signature-256 header is missing'),
    });
    expect(JSON.stringify([wrong.body, missing.body])).not.toContain(secret);
    expect(await runCount(id)).toBe(1);
    const run = await waitForRun(api, valid.body.runId);
    expect(run.output.headers).toEqual({ 'x-github-event': 'pull_request' });
  });

  it('refuses a Stripe-style signature outside the tolerance as expired, and fails closed without the secret', async () => {
    const secret = 'whsec_e2e';
    expect((await api('PUT', '/api/v1/secrets/STRIPE_HOOK', { value: secret })).status).toBe(200);
    const { id, token } = await createHookAutomation('hook-stripe', echo, [
      { type: 'webhook', signature: { scheme: 'stripe', secret: 'STRIPE_HOOK', toleranceSeconds: 60 } },
    ]);
    const body = '{"type":"charge.succeeded"}';
    const json = { 'content-type': 'application/json' };
    const now = Math.floor(Date.now() / 1000);
    const expired = await post(hook(id, token), body, {
      ...json,
      'stripe-signature': stripeSignature(secret, body, now - 600),
    });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('WEBHOOK_SIGNATURE_EXPIRED');
    const current = await post(hook(id, token), body, {
      ...json,
      'stripe-signature': stripeSignature(secret, body, now),
    });
    expect(current.status, current.text).toBe(202);

    const unset = await createHookAutomation('hook-unset', echo, [
      { type: 'webhook', signature: { scheme: 'github', secret: 'NEVER_SET' } },
    ]);
    const closed = await post(hook(unset.id, unset.token), body, {
      ...json,
      'x-hub-signature-256': githubSignature('', body),
    });
    expect(closed.status).toBe(401);
    expect(closed.body.error).toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
      message: expect.stringContaining('signing secret of this webhook is not set'),
    });
    expect(await runCount(unset.id)).toBe(0);
  });

  it('answers ?wait= with the output of a run that finished in time, else 202 with the run id', async () => {
    const fast = await createHookAutomation(
      'hook-fast',
      'export default async function run(input) { return { doubled: input.body.n * 2 }; }',
      [{ type: 'webhook' }],
    );
    const json = { 'content-type': 'application/json' };
    const answered = await post(hook(fast.id, fast.token, '?wait=5'), '{"n":21}', json);
    expect(answered.status, answered.text).toBe(200);
    expect(answered.body).toEqual({ doubled: 42 });
    expect(answered.headers.get('x-mendflow-run-status')).toBe('succeeded');
    const runId = answered.headers.get('x-mendflow-run-id')!;
    expect((await api('GET', `/api/v1/runs/${runId}`)).body.output).toEqual({ doubled: 42 });

    const failing = await createHookAutomation(
      'hook-failing',
      'export default async function run() { throw new TypeError("no order in the body"); }',
      [{ type: 'webhook' }],
    );
    const failed = await post(hook(failing.id, failing.token, '?wait=10'), '{}', json);
    expect(failed.status, failed.text).toBe(422);
    expect(failed.body.error).toMatchObject({
      code: 'RUN_FAILED',
      // A logic error waits for a person (a repair): no output is coming, so the wait ends here.
      details: { status: 'action_needed', error: { name: 'TypeError', message: 'no order in the body' } },
    });

    const slow = await createHookAutomation(
      'hook-slow',
      'export default async function run(input, ctx) { await ctx.sleep(3000); return "late"; }',
      [{ type: 'webhook' }],
    );
    const started = Date.now();
    const pending = await post(hook(slow.id, slow.token, '?wait=1'), '{}', json);
    expect(pending.status, pending.text).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(pending.body).toEqual({ runId: expect.any(String), status: expect.any(String) });
    expect((await waitForRun(api, pending.body.runId)).output).toBe('late');

    for (const wait of ['0', '31', 'soon']) {
      const refused = await post(hook(fast.id, fast.token, `?wait=${wait}`), '{}', json);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(/^wait: /);
    }
  });

  it('honours Idempotency-Key: a retry gets the same run, another body with the key a 409', async () => {
    const { id, token } = await createHookAutomation('hook-idem', echo, [{ type: 'webhook' }]);
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'delivery-1' };
    const first = await post(hook(id, token), '{"n":1}', headers);
    const retry = await post(hook(id, token), '{"n":1}', headers);
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.body.runId).toBe(first.body.runId);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const reused = await post(hook(id, token), '{"n":2}', headers);
    expect(reused.status).toBe(409);
    expect(reused.body.error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      details: { field: 'Idempotency-Key', runId: first.body.runId },
    });
    expect(await runCount(id)).toBe(1);
    expect((await api('GET', `/api/v1/runs/${first.body.runId}`)).body.idempotencyKey).toBe(
      'hook:delivery-1',
    );
  });

  it('limits requests per hook with 429 and Retry-After, and refuses a body over the limit with 413', async () => {
    const { id, token } = await createHookAutomation('hook-limited', echo, [{ type: 'webhook' }]);
    const text = { 'content-type': 'text/plain' };
    const tooLarge = await post(hook(id, token), Buffer.alloc(MAX_BODY + 1, 'a'), text);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const answers = [];
    for (let i = 0; i < RATE_LIMIT + 1; i++) answers.push(await post(hook(id, token), 'x', text));
    const limited = answers.at(-1)!;
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Another automation's hook has its own budget.
    const other = await createHookAutomation('hook-other', echo, [{ type: 'webhook' }]);
    expect((await post(hook(other.id, other.token), 'x', text)).status).toBe(202);
  });
});
