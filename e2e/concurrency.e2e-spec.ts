import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { type Stack, startStack } from './support/stack';
import { json, type StandIn, startStandIn } from './support/stand-ins';

// Concurrency limits end to end: the API and a worker as separate processes (the worker takes up to 8
// jobs at once), PostgreSQL and Redis, and a local stand-in service that holds every request ~100 ms
// so that runs overlap whenever the limit lets them.
let stack: Stack;
let api: Api;
let service: StandIn;
let host: string;
let database: pg.Client;

/** Requests in flight at the stand-in, per customer, and the most ever seen at once. */
const inFlight = new Map<string, number>();
const peak = new Map<string, number>();
let total = 0;
let totalPeak = 0;

beforeAll(async () => {
  service = await startStandIn((request, _body, response) => {
    const customer = new URL(request.url ?? '/', 'http://x').searchParams.get('c') ?? '-';
    inFlight.set(customer, (inFlight.get(customer) ?? 0) + 1);
    peak.set(customer, Math.max(peak.get(customer) ?? 0, inFlight.get(customer)!));
    totalPeak = Math.max(totalPeak, ++total);
    setTimeout(() => {
      inFlight.set(customer, inFlight.get(customer)! - 1);
      total--;
      json(response, 200, { ok: true });
    }, 100);
  });
  host = service.url.replace('http://', '');
  stack = await startStack('concurrency', {
    redisDb: 2,
    workerEnv: { ALLOW_PRIVATE_NETWORK: 'true', WORKER_CONCURRENCY: '8', WORKER_AUTOMATION_SHARE: '1' },
  });
  api = apiClient(stack.apiUrl);
  database = new pg.Client({ connectionString: stack.databaseUrl });
  await database.connect();
});

afterAll(async () => {
  await database?.end();
  await stack?.stop();
  await service?.close();
});

const SCRIPT = (url: string) => `export default async function run(input, ctx) {
  for (let i = 0; i < 3; i++) {
    const res = await ctx.fetch('${url}/work?c=' + (input && input.customerId || 'none'));
    if (!res.ok) throw new Error('stand-in answered ' + res.status);
  }
  return { customer: input && input.customerId };
}`;

async function createAutomation(name: string, concurrency: Record<string, unknown>) {
  const { status, body } = await api('POST', '/api/v1/automations', {
    name,
    source: SCRIPT(service.url),
    manifest: { permissions: { hosts: [host] }, concurrency },
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body.id as string;
}

async function start(automationId: string, input: unknown, priority?: number) {
  const { status, body } = await api('POST', `/api/v1/automations/${automationId}/runs`, {
    input,
    ...(priority !== undefined && { priority }),
  });
  expect(status, JSON.stringify(body)).toBe(202);
  return body as { id: string; priority: number; waitingFor: unknown };
}

/**
 * The most attempts of these runs that were running at the same moment, from PostgreSQL: an attempt
 * runs from started_at to finished_at; at the same millisecond an end counts before a start (the slot
 * is freed by the statement that ends the attempt, before the next one can take it).
 */
async function maxOverlap(runIds: string[]): Promise<number> {
  const { rows } = await database.query<{ started_at: Date; finished_at: Date }>(
    `SELECT started_at, finished_at FROM run_attempts WHERE run_id = ANY($1::uuid[])`,
    [runIds],
  );
  expect(rows.every((row) => row.finished_at !== null)).toBe(true);
  const points = rows.flatMap((row) => [
    { at: row.started_at.getTime(), delta: 1 },
    { at: row.finished_at.getTime(), delta: -1 },
  ]);
  points.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let most = 0;
  for (const point of points) most = Math.max(most, (running += point.delta));
  return most;
}

/** Whether an attempt of one set of runs ran while an attempt of the other did. */
async function ranTogether(a: string[], b: string[]): Promise<boolean> {
  const { rows } = await database.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM run_attempts x, run_attempts y
     WHERE x.run_id = ANY($1::uuid[]) AND y.run_id = ANY($2::uuid[])
       AND x.started_at < y.finished_at AND y.started_at < x.finished_at`,
    [a, b],
  );
  return rows[0]!.n > 0;
}

describe('manifest concurrency limits, enforced (api and worker over HTTP)', () => {
  it('runs 20 runs of a limit-2 automation to succeeded, never more than 2 at once, and says why the others wait', async () => {
    const automationId = await createAutomation('limited', { limit: 2 });
    const runs: { id: string }[] = [];
    for (let i = 0; i < 20; i++) runs.push(await start(automationId, { customerId: 'solo' }));
    // The last one cannot start before 18 others have finished (3 requests of 100 ms each, 2 at a time).
    const last = runs.at(-1)!.id;
    const queued = (await api('GET', `/api/v1/runs/${last}`)).body;
    expect(queued.status).toBe('queued');
    expect(queued.waitingFor).toMatchObject({ kind: 'slot', limit: 2, key: null });
    expect(queued.waitingFor.ahead).toBeGreaterThanOrEqual(1);
    expect(queued.priority).toBe(5);
    const listed = await api('GET', `/api/v1/runs?automationId=${automationId}&status=queued&limit=200`);
    expect(listed.body.items.find((r: { id: string }) => r.id === last)?.waitingFor?.kind).toBe('slot');

    const finished = await Promise.all(runs.map((run) => waitForRun(api, run.id, undefined, 120_000)));
    expect(finished.map((run) => run.status)).toEqual(Array(20).fill('succeeded'));
    for (const run of finished) expect(run.waitingFor).toBeNull();
    expect(await maxOverlap(runs.map((run) => run.id))).toBeLessThanOrEqual(2);
    expect(peak.get('solo')).toBeLessThanOrEqual(2);
    // Every slot was given back.
    const slots = await database.query('SELECT 1 FROM run_slots');
    expect(slots.rowCount).toBe(0);
  });

  it('keeps each key within the limit while different keys run side by side', async () => {
    const automationId = await createAutomation('per-customer', { limit: 2, key: '/customerId' });
    const byCustomer: Record<'acme' | 'globex', string[]> = { acme: [], globex: [] };
    for (let i = 0; i < 8; i++) {
      for (const customer of ['acme', 'globex'] as const) {
        byCustomer[customer].push((await start(automationId, { customerId: customer })).id);
      }
    }
    const waiting = (await api('GET', `/api/v1/runs/${byCustomer.acme.at(-1)}`)).body;
    if (waiting.status === 'queued') expect(waiting.waitingFor).toMatchObject({ kind: 'slot', key: 'acme' });

    const all = [...byCustomer.acme, ...byCustomer.globex];
    const finished = await Promise.all(all.map((id) => waitForRun(api, id, undefined, 120_000)));
    expect(finished.map((run) => run.status)).toEqual(Array(all.length).fill('succeeded'));
    expect(await maxOverlap(byCustomer.acme)).toBeLessThanOrEqual(2);
    expect(await maxOverlap(byCustomer.globex)).toBeLessThanOrEqual(2);
    expect(peak.get('acme')).toBeLessThanOrEqual(2);
    expect(peak.get('globex')).toBeLessThanOrEqual(2);
    // The two customers' lines are independent: their runs overlapped.
    expect(await ranTogether(byCustomer.acme, byCustomer.globex)).toBe(true);
    expect(await maxOverlap(all)).toBeGreaterThan(2);
  });

  it('refuses a run whose input lacks the key, naming the field, and checks the priority', async () => {
    const automationId = await createAutomation('needs-key', { limit: 1, key: '/customerId' });
    const missing = await api('POST', `/api/v1/automations/${automationId}/runs`, { input: { other: 1 } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({
      code: 'RUN_CONCURRENCY_KEY_MISSING',
      message: expect.stringMatching(/^input\.customerId: is required/),
    });

    const badKey = await api('POST', '/api/v1/automations', {
      name: 'bad-key',
      source: 'export default async () => 1',
      manifest: { concurrency: { limit: 1, key: 'customerId' } },
    });
    expect(badKey.status).toBe(400);

    for (const priority of [0, 11, 2.5]) {
      const bad = await api('POST', `/api/v1/automations/${automationId}/runs`, {
        input: { customerId: 'x' },
        priority,
      });
      expect(bad.status, String(priority)).toBe(400);
    }
    const urgent = await start(automationId, { customerId: 7 }, 10);
    expect(urgent.priority).toBe(10);
    expect((await waitForRun(api, urgent.id)).status).toBe('succeeded');
  });

  it('starts the higher-priority run first when both wait for the same slot', async () => {
    const automationId = await createAutomation('prioritized', { limit: 1 });
    const first = await start(automationId, { customerId: 'p' });
    const lows = [
      await start(automationId, { customerId: 'p' }, 2),
      await start(automationId, { customerId: 'p' }, 2),
    ];
    const high = await start(automationId, { customerId: 'p' }, 9);
    const runs = await Promise.all(
      [first, ...lows, high].map((run) => waitForRun(api, run.id, undefined, 60_000)),
    );
    expect(runs.map((run) => run.status)).toEqual(Array(4).fill('succeeded'));
    const started = new Map(runs.map((run) => [run.id, Date.parse(run.startedAt)]));
    // The first may already have been running; of the three that waited, the high one went first.
    expect(started.get(high.id)!).toBeLessThan(started.get(lows[0]!.id)!);
    expect(started.get(high.id)!).toBeLessThan(started.get(lows[1]!.id)!);
    expect(started.get(lows[0]!.id)!).toBeLessThan(started.get(lows[1]!.id)!);
  });
});
