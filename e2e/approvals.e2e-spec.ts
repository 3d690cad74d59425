import { redisConnection, wakeJobId } from '@mendflow/queue';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { connectLive, eventually, type LiveClient } from './support/live';
import { type SessionClient, signIn } from './support/session';
import { BOOTSTRAP_KEY, type Stack, startStack, type WorkerProcess } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';

// Approvals and durable sleep end to end: the API and a worker as separate processes, PostgreSQL,
// Redis, Socket.IO, and a local stand-in service that counts the requests it gets per path, so that
// "sent once" is checked where the request lands, not where the script thinks it sent it.
// The worker's reconciler runs every second (STALE_QUEUED_RUN_MS 2000), so an overdue wait whose
// timer was lost is woken within a few seconds.

let stack: Stack;
let api: Api;
let person: SessionClient;
let service: StandIn;
let host: string;
let worker: WorkerProcess;
let database: pg.Client;
let live: LiveClient;
/** When the stand-in got each request, by path. */
const hitTimes = new Map<string, number[]>();

const WORKER_ENV = { ALLOW_PRIVATE_NETWORK: 'true', STALE_QUEUED_RUN_MS: '2000' };

/**
 * Fetches (counted), a step, a kv write and a log line, then asks for approval with at most one fetch
 * afterwards; the second fetch only when approved. `input.tag` keeps each test's paths apart.
 */
const APPROVAL_SCRIPT = (url: string) => `export default async function run(input, ctx) {
  const tag = input.tag;
  const first = await (await ctx.fetch('${url}/before/' + tag)).json();
  const total = await ctx.step('s', async () => first.amount * 2);
  await ctx.kv.set('invoice-' + tag, { total });
  console.log('prepared invoice', tag);
  const answer = await ctx.waitForApproval({
    title: 'Send invoice',
    details: 'Invoice ' + tag + ': ' + total + ' EUR',
    caps: { maxFetches: 1 },
  });
  console.log('answered', answer.approved);
  if (!answer.approved) return { answer, sent: false };
  const sent = await ctx.fetch('${url}/after/' + tag);
  return { answer, total, sent: sent.status };
}`;

async function createAutomation(name: string, source: string, manifest: Record<string, unknown> = {}) {
  const { status, body } = await api('POST', '/api/v1/automations', {
    name,
    source,
    manifest: { permissions: { hosts: [host] }, ...manifest },
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body.id as string;
}

async function start(automationId: string, input: unknown = {}, as: Api = api) {
  const { status, body } = await as('POST', `/api/v1/automations/${automationId}/runs`, { input });
  expect(status, JSON.stringify(body)).toBe(202);
  return body.id as string;
}

async function events(runId: string) {
  return (await api('GET', `/api/v1/runs/${runId}/events`)).body.items as {
    seq: number;
    type: string;
    data: any;
    createdAt: string;
  }[];
}

/** The run's one open approval request, once the run waits for it. */
async function approvalOf(runId: string) {
  const run = await waitForRun(api, runId, ['waiting', 'succeeded', 'failed', 'action_needed'], 30_000);
  expect(run.status, JSON.stringify(run.error)).toBe('waiting');
  const inbox = await api('GET', `/api/v1/inbox?runId=${runId}`);
  expect(inbox.body.items).toHaveLength(1);
  return { run, item: inbox.body.items[0] };
}

const hits = (path: string) => service.hits.get(path) ?? 0;

let approvalAutomation: string;

beforeAll(async () => {
  service = await startStandIn((request, _body, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    hitTimes.set(path, [...(hitTimes.get(path) ?? []), Date.now()]);
    json(response, 200, { amount: 21, path });
  });
  host = service.url.replace('http://', '');
  stack = await startStack('approvals', { redisDb: 1, worker: false, workerEnv: WORKER_ENV });
  worker = await stack.startWorker();
  api = apiClient(stack.apiUrl);
  person = await signIn(stack.apiUrl);
  database = new pg.Client({ connectionString: stack.databaseUrl });
  await database.connect();
  live = await connectLive(stack.apiUrl, { token: BOOTSTRAP_KEY });
  expect(await live.subscribe({ workspace: true })).toEqual({ ok: true });
  approvalAutomation = await createAutomation('send-invoice', APPROVAL_SCRIPT(service.url));
}, 120_000);

afterAll(async () => {
  live?.close();
  await database?.end();
  await stack?.stop();
  await service?.close();
});

describe('approvals', () => {
  it('waits for a person, resumes on approval without repeating what it did, and succeeds', async () => {
    const runId = await start(approvalAutomation, { tag: 'a1' });
    const { run, item } = await approvalOf(runId);
    expect(run.waitingFor).toMatchObject({
      kind: 'approval',
      inboxItemId: item.id,
      title: 'Send invoice',
      expiresAt: item.expiresAt,
    });
    expect(item).toMatchObject({
      kind: 'approval',
      status: 'open',
      title: 'Send invoice',
      actions: ['approve', 'reject'],
      evidence: {
        title: 'Send invoice',
        details: 'Invoice a1: 42 EUR',
        caps: { maxFetches: 1 },
        expiresAt: item.expiresAt,
        attempt: 1,
        startedBy: { kind: 'api_key', id: expect.any(String) },
      },
    });
    // The default deadline is 24 h away.
    const expiresIn = Date.parse(item.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(23 * 3_600_000);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3_600_000);
    expect(run.attempts.map((a: { status: string }) => a.status)).toEqual(['waiting']);
    expect(hits('/before/a1')).toBe(1);
    expect(hits('/after/a1')).toBe(0);
    await eventually(
      () =>
        live.messages.some(
          (m) => m.name === 'run.event' && m.payload.runId === runId && m.payload.type === 'run.waiting',
        ),
      'run.waiting over Socket.IO',
    );

    const answered = await person.call('POST', `/api/v1/inbox/${item.id}/resolve`, {
      action: 'approve',
      comment: 'go ahead',
    });
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    expect(answered.body).toMatchObject({
      status: 'resolved',
      resolution: { action: 'approve', by: person.profile.user.id, comment: 'go ahead' },
    });

    const done = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed'], 30_000);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.output).toEqual({
      answer: { approved: true, by: person.profile.user.id, comment: 'go ahead' },
      total: 42,
      sent: 200,
    });
    expect(done.waitingFor).toBeNull();
    expect(done.attempts.map((a: { number: number; status: string }) => [a.number, a.status])).toEqual([
      [1, 'waiting'],
      [2, 'succeeded'],
    ]);
    // The fetch before the wait reached the service once in all; the one after it once.
    expect(hits('/before/a1')).toBe(1);
    expect(hits('/after/a1')).toBe(1);

    // The resumed attempt's logs start after the wait.
    const logs = (await api('GET', `/api/v1/runs/${runId}/logs`)).body.items as {
      attempt: number;
      logs: { message: string }[];
    }[];
    const lines = (attempt: number) => logs.find((l) => l.attempt === attempt)!.logs.map((l) => l.message);
    expect(lines(1)).toEqual([expect.stringContaining('prepared invoice a1')]);
    expect(lines(2)).toEqual([expect.stringContaining('answered true')]);

    const timeline = await events(runId);
    const types = timeline.map((e) => e.type);
    expect(types).toEqual([
      'run.queued',
      'run.running',
      'run.waiting',
      'inbox.resolved',
      'run.resumed',
      'run.running',
      'run.succeeded',
    ]);
    expect(timeline.find((e) => e.type === 'run.waiting')!.data).toEqual({
      attempt: 1,
      kind: 'approval',
      until: item.expiresAt,
      title: 'Send invoice',
      inboxItemId: item.id,
      caps: { maxFetches: 1 },
    });
    expect(timeline.find((e) => e.type === 'run.resumed')!.data).toMatchObject({
      kind: 'approval',
      approved: true,
      by: person.profile.user.id,
      comment: 'go ahead',
    });

    // Socket.IO delivered the whole timeline, in seq order, with nothing missing.
    await eventually(
      () =>
        live.messages.some(
          (m) => m.name === 'run.event' && m.payload.runId === runId && m.payload.type === 'run.succeeded',
        ),
      'run.succeeded over Socket.IO',
    );
    const delivered = live.messages.filter((m) => m.name === 'run.event' && m.payload.runId === runId);
    expect(delivered.map((m) => m.payload.seq)).toEqual(timeline.map((e) => e.seq));
    expect(delivered.map((m) => m.payload.type)).toEqual(types);
    const statuses = live.messages
      .filter((m) => m.name === 'run.status' && m.payload.runId === runId)
      .map((m) => m.payload.status);
    expect(statuses).toEqual(['queued', 'running', 'waiting', 'queued', 'running', 'succeeded']);
  });

  it('refuses a second answer with 409, and a rejection lets the script decide how the run ends', async () => {
    const runId = await start(approvalAutomation, { tag: 'r1' });
    const { item } = await approvalOf(runId);
    const rejected = await person.call('POST', `/api/v1/inbox/${item.id}/resolve`, {
      action: 'reject',
      comment: 'wrong customer',
    });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    const again = await person.call('POST', `/api/v1/inbox/${item.id}/resolve`, { action: 'approve' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INBOX_ITEM_RESOLVED');

    const done = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed'], 30_000);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.output).toEqual({
      answer: { approved: false, by: person.profile.user.id, comment: 'wrong customer' },
      sent: false,
    });
    expect(hits('/before/r1')).toBe(1);
    expect(hits('/after/r1')).toBe(0);
    // The late approval changed nothing.
    const item2 = (await api('GET', `/api/v1/inbox?runId=${runId}&status=resolved`)).body.items[0];
    expect(item2.resolution).toMatchObject({ action: 'reject', comment: 'wrong customer' });
  });

  it('expires an unanswered request: the script gets expired, and a late answer is refused', async () => {
    const runId = await start(approvalAutomation, { tag: 'x1' });
    const { item } = await approvalOf(runId);
    // Make the deadline pass without waiting a day: move it into the past in PostgreSQL. The timer job
    // in Redis is still set for the real deadline; the reconciler (PostgreSQL decides) finds the wait
    // overdue and makes that timer fire now.
    await database.query(`UPDATE inbox_items SET expires_at = now() - interval '10 seconds' WHERE id = $1`, [
      item.id,
    ]);
    await database.query(`UPDATE runs SET next_attempt_at = now() - interval '10 seconds' WHERE id = $1`, [
      runId,
    ]);

    const done = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed'], 30_000);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.output).toEqual({ answer: { approved: false, expired: true }, sent: false });
    const expired = (await api('GET', `/api/v1/inbox?runId=${runId}&status=expired`)).body.items;
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ id: item.id, status: 'expired' });
    const late = await person.call('POST', `/api/v1/inbox/${item.id}/resolve`, { action: 'approve' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('APPROVAL_EXPIRED');
    expect((await events(runId)).find((e) => e.type === 'run.resumed')!.data).toMatchObject({
      kind: 'approval',
      approved: false,
      expired: true,
    });
    expect(hits('/after/x1')).toBe(0);
  });

  it('refuses widened caps, and tightened caps stop the fetch after the approval as a policy failure', async () => {
    const runId = await start(approvalAutomation, { tag: 'c1' });
    const { item } = await approvalOf(runId);
    const widened = await person.call('POST', `/api/v1/inbox/${item.id}/resolve`, {
      action: 'approve',
      caps: { maxFetches: 5 },
    });
    expect(widened.status).toBe(400);
    expect(widened.body.error).toMatchObject({
      code: 'APPROVAL_CAPS_WIDENED',
      details: { field: 'caps.maxFetches' },
    });
    expect(widened.body.error.message).toContain('caps.maxFetches');
    // Still open: the refused answer changed nothing.
    expect((await api('GET', `/api/v1/runs/${runId}`)).body.status).toBe('waiting');

    const tightened = await person.call('POST', `/api/v1/inbox/${item.id}/resolve`, {
      action: 'approve',
      caps: { maxFetches: 0 },
    });
    expect(tightened.status, JSON.stringify(tightened.body)).toBe(200);
    const done = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed'], 30_000);
    expect(done.status).toBe('action_needed');
    expect(done.error.code).toBe('APPROVAL_CAP_EXCEEDED');
    expect(done.attempts.map((a: { status: string }) => a.status)).toEqual(['waiting', 'failed']);
    expect(done.attempts[1].classification.class).toBe('policy');
    expect(hits('/before/c1')).toBe(1);
    expect(hits('/after/c1')).toBe(0);
    const open = (await api('GET', `/api/v1/inbox?runId=${runId}`)).body.items;
    expect(open).toHaveLength(1);
    expect(open[0].kind).not.toBe('approval');
  });

  it('never lets the API key that started a run answer it; another key may where the manifest allows, a person always', async () => {
    const keyed = await createAutomation('keyed-approval', APPROVAL_SCRIPT(service.url), {
      approvals: { allowApiKeys: true },
    });
    const created = await person.call('POST', '/api/v1/api-keys', { name: 'approver' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const otherKey = apiClient(stack.apiUrl, created.body.key as string);

    // The key that started the run: refused, even though the manifest lets keys answer.
    const first = await start(keyed, { tag: 'k1' });
    const { item: firstItem } = await approvalOf(first);
    const self = await api('POST', `/api/v1/inbox/${firstItem.id}/resolve`, { action: 'approve' });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('APPROVAL_REQUIRES_PERSON');
    // Another key may.
    const byKey = await otherKey('POST', `/api/v1/inbox/${firstItem.id}/resolve`, { action: 'approve' });
    expect(byKey.status, JSON.stringify(byKey.body)).toBe(200);
    const firstDone = await waitForRun(api, first, ['succeeded', 'failed', 'action_needed'], 30_000);
    expect(firstDone.status, JSON.stringify(firstDone.error)).toBe('succeeded');
    expect(firstDone.output.answer.approved).toBe(true);

    // Without allowApiKeys, no key may answer; a person approves.
    const second = await start(approvalAutomation, { tag: 'k2' });
    const { item } = await approvalOf(second);
    for (const key of [api, otherKey]) {
      const refused = await key('POST', `/api/v1/inbox/${item.id}/resolve`, { action: 'approve' });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('APPROVAL_REQUIRES_PERSON');
    }
    const approved = await person.call('POST', `/api/v1/inbox/${item.id}/resolve`, { action: 'approve' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const done = await waitForRun(api, second, ['succeeded', 'failed', 'action_needed'], 30_000);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.output.answer).toEqual({ approved: true, by: person.profile.user.id });
    expect(hits('/before/k2')).toBe(1);
    expect(hits('/after/k2')).toBe(1);
  });
});

describe('durable sleep', () => {
  it('survives a worker killed while the run sleeps, and resumes no earlier than the end of the sleep', async () => {
    const automation = await createAutomation(
      'nap',
      `export default async function run(input, ctx) {
        await ctx.fetch('${service.url}/nap/before');
        console.log('going to sleep');
        await ctx.sleep(4000);
        console.log('awake');
        const res = await ctx.fetch('${service.url}/nap/after');
        return { slept: true, status: res.status };
      }`,
    );
    const runId = await start(automation);
    const waiting = await waitForRun(api, runId, ['waiting', 'succeeded', 'failed', 'action_needed'], 30_000);
    expect(waiting.status, JSON.stringify(waiting.error)).toBe('waiting');
    expect(waiting.waitingFor).toEqual({ kind: 'sleep', until: expect.any(String) });
    const until = Date.parse(waiting.waitingFor.until);

    await worker.stop('SIGKILL');
    worker = await stack.startWorker();

    const done = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed'], 30_000);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.output).toEqual({ slept: true, status: 200 });
    expect(done.attempts.map((a: { status: string }) => a.status)).toEqual(['waiting', 'succeeded']);
    expect(hits('/nap/before')).toBe(1);
    expect(hits('/nap/after')).toBe(1);
    // Not woken early: the fetch after the sleep and the run's end come after its end.
    expect(hitTimes.get('/nap/after')![0]).toBeGreaterThanOrEqual(until);
    const timeline = await events(runId);
    const resumed = timeline.find((e) => e.type === 'run.resumed')!;
    expect(resumed.data).toEqual({ kind: 'sleep' });
    expect(Date.parse(resumed.createdAt)).toBeGreaterThanOrEqual(until);
    expect(Date.parse(timeline.at(-1)!.createdAt)).toBeGreaterThanOrEqual(until);
    const logs = (await api('GET', `/api/v1/runs/${runId}/logs`)).body.items as {
      attempt: number;
      logs: { message: string }[];
    }[];
    expect(logs.map((l) => l.logs.map((line) => line.message))).toEqual([
      [expect.stringContaining('going to sleep')],
      [expect.stringContaining('awake')],
    ]);
  });

  it('wakes a sleep whose timer Redis lost (the reconciler sets it again)', async () => {
    const automation = await createAutomation(
      'lost-timer',
      `export default async function run(input, ctx) {
        await ctx.fetch('${service.url}/lost/before');
        await ctx.sleep(2500);
        await ctx.fetch('${service.url}/lost/after');
        return 'woken';
      }`,
    );
    const runId = await start(automation);
    const waiting = await waitForRun(api, runId, ['waiting', 'succeeded', 'failed', 'action_needed'], 30_000);
    expect(waiting.waitingFor?.kind).toBe('sleep');
    const until = Date.parse(waiting.waitingFor.until);
    const maintenance = new Queue('maintenance', { connection: redisConnection(stack.redisUrl) });
    try {
      const timer = await maintenance.getJob(wakeJobId({ runId, attempt: 1 }));
      expect(await timer?.getState()).toBe('delayed');
      await timer!.remove();
    } finally {
      await maintenance.close();
    }
    const done = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed'], 30_000);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.output).toBe('woken');
    expect(hits('/lost/before')).toBe(1);
    expect(hits('/lost/after')).toBe(1);
    expect(hitTimes.get('/lost/after')![0]).toBeGreaterThanOrEqual(until);
  });

  it('does not suspend for a sleepUntil in the past', async () => {
    const automation = await createAutomation(
      'no-nap',
      `export default async function run(input, ctx) {
        await ctx.fetch('${service.url}/no-nap');
        await ctx.sleepUntil('2020-01-01T00:00:00Z');
        await ctx.sleepUntil(Date.now() - 1000);
        return 'awake';
      }`,
    );
    const runId = await start(automation);
    const done = await waitForRun(api, runId, ['succeeded', 'failed', 'action_needed', 'waiting'], 30_000);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.output).toBe('awake');
    expect(done.attempts.map((a: { status: string }) => a.status)).toEqual(['succeeded']);
    expect((await events(runId)).map((e) => e.type)).toEqual(['run.queued', 'run.running', 'run.succeeded']);
    expect(hits('/no-nap')).toBe(1);
  });
});
