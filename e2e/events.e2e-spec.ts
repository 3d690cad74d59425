import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type Stack, startStack } from './support/stack';

// Events end to end: POST /api/v1/events and ctx.emit start the runs of automations with an event
// trigger, a retried emitter does not emit twice, and a cycle stops with a policy failure.
let stack: Stack;
let api: Api;

async function createAutomation(name: string, source: string, manifest: Record<string, unknown> = {}) {
  const { status, body } = await api('POST', '/api/v1/automations', { name, source, manifest });
  expect(status, JSON.stringify(body)).toBe(201);
  return body as { id: string };
}

async function runsOf(automationId: string) {
  const { body } = await api('GET', `/api/v1/runs?automationId=${automationId}`);
  return body.items as { id: string; status: string; trigger: string }[];
}

/** Waits until `automationId` has `count` runs, and a little longer to make sure no more appear. */
async function settledRuns(automationId: string, count: number) {
  const deadline = Date.now() + 20_000;
  while ((await runsOf(automationId)).length < count) {
    if (Date.now() > deadline) throw new Error(`automation ${automationId} has fewer than ${count} runs`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return runsOf(automationId);
}

beforeAll(async () => {
  stack = await startStack('events', { redisDb: 5 });
  api = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
});

describe('events', () => {
  it('chains two automations, and a retried emitter emits once', async () => {
    // A fails once after emitting; its retry gets the stored event back instead of emitting again.
    const a = await createAutomation(
      'order-intake',
      `export default async function run(input, ctx) {
         const emitted = await ctx.emit('order.enriched', { orderId: input.orderId, total: 42 });
         if (ctx.run.attempt === 1) throw new ctx.errors.TransientError('flaky after emitting');
         return emitted;
       }`,
      {
        triggers: [{ type: 'event', name: 'order.created' }],
        retry: { maxAttempts: 3, backoff: { baseMs: 100, maxMs: 1000, jitter: false } },
      },
    );
    const b = await createAutomation(
      'order-enriched',
      `export default async function run(input) { return { received: input }; }`,
      {
        triggers: [{ type: 'event', name: 'order.enriched' }],
        inputSchema: { type: 'object', required: ['orderId'] },
      },
    );
    // Listens to the same event, but its inputSchema refuses the payload: skipped, with the reason.
    const picky = await createAutomation('picky', `export default async function run() { return 1; }`, {
      triggers: [{ type: 'event', name: 'order.created' }],
      inputSchema: { type: 'object', required: ['customerId'] },
    });

    const posted = await api('POST', '/api/v1/events', {
      name: 'order.created',
      payload: { orderId: 'o-1' },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    expect(posted.body).toMatchObject({
      name: 'order.created',
      runs: [{ automationId: a.id }],
      skipped: [
        {
          automationId: picky.id,
          code: 'RUN_INPUT_INVALID',
          reason: expect.stringContaining('input.customerId'),
        },
      ],
    });
    const aRun = await waitForRun(api, posted.body.runs[0].id);
    expect(aRun).toMatchObject({
      status: 'succeeded',
      trigger: 'event',
      attemptCount: 2,
      triggerContext: { kind: 'event', eventId: posted.body.id, sourceRunId: null, chain: [], depth: 0 },
    });

    const [bRun, ...more] = await settledRuns(b.id, 1);
    expect(more).toEqual([]);
    const bDone = await waitForRun(api, bRun!.id);
    expect(bDone).toMatchObject({
      status: 'succeeded',
      trigger: 'event',
      input: { orderId: 'o-1', total: 42 },
      output: { received: { orderId: 'o-1', total: 42 } },
      triggerContext: {
        kind: 'event',
        name: 'order.enriched',
        sourceRunId: aRun.id,
        chain: [a.id],
        depth: 1,
      },
    });
    // The retried attempt returned the first attempt's event: one event, one run of B.
    expect(aRun.output).toEqual({ eventId: bDone.triggerContext.eventId, runs: 1, skipped: [] });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await runsOf(b.id)).toHaveLength(1);
  });

  it('stops a cycle with a policy failure at the emitter', async () => {
    const c = await createAutomation(
      'ping-to-pong',
      `export default async function run(input, ctx) { return ctx.emit('pong', { from: 'c' }); }`,
      { triggers: [{ type: 'event', name: 'ping' }] },
    );
    const d = await createAutomation(
      'pong-to-ping',
      `export default async function run(input, ctx) { return ctx.emit('ping', { from: 'd' }); }`,
      { triggers: [{ type: 'event', name: 'pong' }] },
    );

    const posted = await api('POST', '/api/v1/events', { name: 'ping' });
    expect(posted.status).toBe(202);
    const cRun = await waitForRun(api, posted.body.runs[0].id);
    expect(cRun.status).toBe('succeeded');
    const [dRun] = await settledRuns(d.id, 1);
    const dDone = await waitForRun(api, dRun!.id);
    expect(dDone.status).toBe('action_needed');
    expect(dDone.error).toMatchObject({ code: 'EVENT_CYCLE', name: 'PolicyError' });
    expect(dDone.error.message).toContain('"ping-to-pong" again');
    expect(dDone.attempts.at(-1).classification).toMatchObject({ class: 'policy' });
    const inbox = await api('GET', `/api/v1/inbox?runId=${dDone.id}`);
    expect(inbox.body.items).toEqual([expect.objectContaining({ kind: 'policy_violation' })]);

    // Nothing was emitted: C ran once (from outside), D once.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await runsOf(c.id)).toHaveLength(1);
    expect(await runsOf(d.id)).toHaveLength(1);
  });

  it('refuses a bad event name, naming the field', async () => {
    const { status, body } = await api('POST', '/api/v1/events', { name: 'Order Created' });
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/^name: /);
  });
});
