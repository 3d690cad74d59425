import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type Stack, startStack, type WorkerProcess } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';

// Prometheus metrics as an operator reads them: real API and worker processes run one automation that
// succeeds and one that fails with a logic error (no repair provider: it asks a person, and the inbox
// item is notified to a webhook channel), then the API's /metrics (cluster-wide gauges) and the
// worker's health-port /metrics (its own counters) are scraped and read like Prometheus would.
const METRICS_TOKEN = 'e2e-metrics-scrape-token-0123456789';
const QUEUES = ['runs', 'repairs', 'maintenance', 'notifications'];
const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'];

let stack: Stack;
let worker: WorkerProcess;
let api: Api;
let receiver: StandIn;
let posts = 0;

beforeAll(async () => {
  receiver = await startStandIn((_request, _body, response) => {
    posts++;
    json(response, 200, { ok: true });
  });
  stack = await startStack('metrics', { redisDb: 0, worker: false, apiEnv: { METRICS_TOKEN } });
  worker = await stack.startWorker();
  api = apiClient(stack.apiUrl);
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

/** One sample of the exposition text: the value of `name` with exactly these labels (order aside). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').match(/\w+="(?:[^"\\]|\\.)*"/g) ?? [];
    if (have.sort().join(',') === wanted) return Number(match[3]);
  }
  return undefined;
}

async function scrapeApi(): Promise<string> {
  const response = await fetch(`${stack.apiUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(response.status).toBe(200);
  return response.text();
}

/** The worker counts after it settles a run, a moment after the run shows its status: polled. */
async function scrapeWorkerUntil(done: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = await (await fetch(`${worker.healthUrl}/metrics`)).text();
    if (done(text)) return text;
    if (Date.now() > deadline) throw new Error(`the worker's metrics never got there:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function automation(name: string, source: string): Promise<string> {
  const { status, body } = await api('POST', '/api/v1/automations', { name, source });
  expect(status, JSON.stringify(body)).toBe(201);
  return body.id as string;
}

async function run(automationId: string, input: unknown) {
  const started = await api('POST', `/api/v1/automations/${automationId}/runs`, { input });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return waitForRun(api, started.body.id);
}

describe('Prometheus metrics of API and worker', () => {
  it('count what ran: queues, runs by status and failure class, attempts, overhead, deliveries', async () => {
    const hook = await api('POST', '/api/v1/notification-channels', {
      name: 'ops',
      kind: 'webhook',
      config: { url: `${receiver.url}/hook` },
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);

    const ok = await automation('adds', 'export default async (input) => input.a + input.b;');
    const broken = await automation('reads-contact', 'export default async (input) => input.contact.email;');
    expect((await run(ok, { a: 1, b: 2 })).status).toBe('succeeded');
    const failed = await run(broken, { contact_info: {} });
    expect(failed.status).toBe('action_needed');

    // The inbox item went out to the webhook once.
    const deadline = Date.now() + 15_000;
    while (posts < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(posts).toBe(1);

    const workerText = await scrapeWorkerUntil(
      (text) =>
        sample(text, 'mendflow_attempt_wall_seconds_count') === 2 &&
        sample(text, 'mendflow_notification_deliveries_total', {
          channel_kind: 'webhook',
          outcome: 'delivered',
        }) === 1,
    );
    expect(sample(workerText, 'mendflow_attempts_total', { outcome: 'succeeded' })).toBe(1);
    expect(sample(workerText, 'mendflow_attempts_total', { outcome: 'logic' })).toBe(1);
    expect(
      sample(workerText, 'mendflow_run_transitions_total', { to: 'succeeded', failure_class: 'none' }),
    ).toBe(1);
    expect(
      sample(workerText, 'mendflow_run_transitions_total', { to: 'action_needed', failure_class: 'logic' }),
    ).toBe(1);
    // Both attempts ran in a sandbox process; each one's overhead is a positive, small share of its wall time.
    expect(sample(workerText, 'mendflow_sandbox_overhead_seconds_count')).toBe(2);
    const overhead = sample(workerText, 'mendflow_sandbox_overhead_seconds_sum')!;
    expect(overhead).toBeGreaterThan(0);
    expect(overhead).toBeLessThan(5);
    expect(sample(workerText, 'mendflow_attempt_wall_seconds_bucket', { le: '+Inf' })).toBe(2);
    // Nothing about a repair happened (no provider): its counters exist but stay at zero.
    expect(sample(workerText, 'mendflow_repair_cost_usd_total')).toBe(0);

    const apiText = await scrapeApi();
    expect(sample(apiText, 'mendflow_runs', { status: 'succeeded' })).toBe(1);
    expect(sample(apiText, 'mendflow_runs', { status: 'action_needed' })).toBe(1);
    expect(sample(apiText, 'mendflow_runs', { status: 'queued' })).toBe(0);
    expect(
      sample(apiText, 'mendflow_runs_by_failure_class', { status: 'action_needed', failure_class: 'logic' }),
    ).toBe(1);
    expect(
      sample(apiText, 'mendflow_runs_by_failure_class', { status: 'succeeded', failure_class: 'logic' }),
    ).toBe(0);
    expect(sample(apiText, 'mendflow_inbox_open_items')).toBe(1);
    for (const queue of QUEUES) {
      for (const state of STATES) {
        expect(sample(apiText, 'mendflow_queue_jobs', { queue, state }), `${queue} ${state}`).toBeTypeOf(
          'number',
        );
      }
      expect(sample(apiText, 'mendflow_queue_oldest_waiting_age_seconds', { queue })).toBeGreaterThanOrEqual(
        0,
      );
    }
    // Both runs are done: no run job waits. (The reconciler's scheduled pass sits delayed in maintenance.)
    expect(sample(apiText, 'mendflow_queue_jobs', { queue: 'runs', state: 'prioritized' })).toBe(0);
    expect(sample(apiText, 'mendflow_queue_jobs', { queue: 'runs', state: 'active' })).toBe(0);
    expect(sample(apiText, 'mendflow_queue_oldest_waiting_age_seconds', { queue: 'runs' })).toBe(0);
  });

  it('put no run or workspace id in any label', async () => {
    const text = `${await scrapeApi()}\n${await (await fetch(`${worker.healthUrl}/metrics`)).text()}`;
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  });
});
