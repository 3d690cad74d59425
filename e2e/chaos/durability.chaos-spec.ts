import { mkdirSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateService, startPrivatePostgres, startPrivateRedis } from '../support/private-services';
import { ADMIN, BOOTSTRAP_KEY, freePort, type ManagedProcess, startScript, waitFor } from '../support/stack';
import { json, type StandIn, startStandIn } from '../support/stand-ins';

/**
 * Durability under faults, through the real processes (the API and two workers started with their npm
 * scripts) against a PostgreSQL cluster and a Redis of this suite's own, which it kills and restarts.
 * Client loops keep submitting runs the whole time; each run does two `ctx.step` side effects that a
 * stand-in service counts per key, with a gate between them where an attempt can be held. Faults:
 * 20 worker SIGKILLs while every attempt is parked at the gate (so every kill is mid-attempt, between
 * a stored step and the next), Redis killed and started empty, PostgreSQL stopped and started, the
 * API restarted. Then: every accepted run rests, none is lost or duplicated, no step ran twice, every
 * run's events are gapless, and the API answered 503 in the error envelope (never another 5xx, never
 * a hung request) while a dependency was down.
 */

const KILLS = Number(process.env.CHAOS_WORKER_KILLS ?? 20);
const CLIENTS = 2;
/** Each client loop waits this long between submissions: a steady load, not a flood, on 2 cores. */
const PACE_MS = 300;
const OUTAGE_MS = 3000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Per worker: run slots (3) minus the one fair share keeps for other automations = attempts at once. */
const WORKER_CONCURRENCY = 3;
const SLOTS_PER_WORKER = 2;
const RESTING = ['succeeded', 'failed', 'cancelled', 'action_needed'];

type Phase = 'steady' | 'worker-kills' | 'redis-down' | 'redis-back' | 'pg-down' | 'pg-back' | 'api-restart';

interface Answer {
  phase: Phase;
  what: string;
  status: number | 'refused' | 'timeout';
  code?: string;
  at: number;
  /** A submission's client key. */
  key?: string;
}

let postgres: PrivateService | undefined;
let redis: PrivateService | undefined;
let service: StandIn | undefined;
let api: ManagedProcess | undefined;
const workers: ManagedProcess[] = [];
let apiUrl = '';
let apiPort = 0;
let env: NodeJS.ProcessEnv = {};
let automationId = '';

let phase: Phase = 'steady';
let redisBackAt = 0;
const phaseLog: { phase: Phase; at: string }[] = [];
function enter(next: Phase): void {
  phase = next;
  phaseLog.push({ phase: next, at: new Date().toISOString() });
}
const answers: Answer[] = [];
const accepted = new Map<string, string>(); // client key → run id (202)
let submitted = 0;
const gate = { armed: false, held: [] as { key: string; response: ServerResponse }[] };
const effects = new Map<string, number>(); // `${key}/${step}` → times the side effect was applied
const effectPhases = new Map<string, Phase[]>(); // the phases it was applied in, to tell what repeated it
const effectTimes = new Map<string, string[]>(); // and when

const headers = { authorization: `Bearer ${BOOTSTRAP_KEY}`, 'content-type': 'application/json' };

async function call(method: string, path: string, body?: unknown): Promise<Answer & { body?: any }> {
  const base = { phase, what: `${method} ${path.replace(/[0-9a-f-]{36}/, ':id')}`, at: Date.now() };
  try {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : undefined;
    return { ...base, status: response.status, code: parsed?.error?.code, body: parsed };
  } catch (error) {
    const name = (error as Error).name;
    return { ...base, status: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'refused' };
  }
}

function record(answer: Answer & { body?: any }) {
  const { body: _body, ...rest } = answer;
  answers.push(rest);
  return answer;
}

async function startApi(): Promise<void> {
  api = startScript('start:api', { ...env, PORT: String(apiPort) });
  await waitFor(`${apiUrl}/readyz`, api, 60_000);
}

async function startWorker(): Promise<ManagedProcess> {
  const healthPort = await freePort();
  const worker = startScript('start:worker', { ...env, WORKER_HEALTH_PORT: String(healthPort) });
  await waitFor(`http://127.0.0.1:${healthPort}/healthz`, worker, 60_000);
  workers.push(worker);
  return worker;
}

const live = () =>
  workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The API is ready again and takes a new run: the time a client waits after a dependency is back. */
async function recovered(since: number): Promise<number> {
  await until(
    'the API did not become ready again',
    async () => (await call('GET', '/readyz')).status === 200,
    60_000,
  );
  await until(
    'the API did not take a run again',
    async () => {
      const key = `probe-${Date.now()}`;
      submitted++;
      const answer = record(
        await call('POST', `/api/v1/automations/${automationId}/runs`, { input: { key } }),
      );
      if (answer.status === 202) accepted.set(key, answer.body.id);
      return answer.status === 202;
    },
    60_000,
  );
  return Date.now() - since;
}

let loadStopped = false;
async function clientLoop(index: number): Promise<void> {
  let n = 0;
  let lastRun: string | undefined;
  while (!loadStopped) {
    const key = `c${index}-${n++}`;
    submitted++;
    const answer = record({
      ...(await call('POST', `/api/v1/automations/${automationId}/runs`, { input: { key } })),
      key,
    });
    if (answer.status === 202) {
      accepted.set(key, answer.body.id);
      lastRun = answer.body.id;
    }
    // A read too: while PostgreSQL is down it must be refused the same way.
    if (lastRun) record(await call('GET', `/api/v1/runs/${lastRun}`));
    await new Promise((resolve) => setTimeout(resolve, PACE_MS));
  }
}

/** Readiness polled on its own: it must say not ready while a dependency is down. */
const readiness: Answer[] = [];
async function readinessLoop(): Promise<void> {
  while (!loadStopped) {
    readiness.push(await call('GET', '/readyz'));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function releaseGate(): void {
  gate.armed = false;
  for (const { response } of gate.held.splice(0)) json(response, 200, { open: true });
}

beforeAll(async () => {
  service = await startStandIn((request, _body, response) => {
    const [, kind, key, step] = (request.url ?? '/').split('?')[0]!.split('/');
    if (kind === 'effect') {
      // The side effect is applied once the request arrives, as a real service would.
      const id = `${key}/${step}`;
      effects.set(id, (effects.get(id) ?? 0) + 1);
      effectPhases.set(id, [...(effectPhases.get(id) ?? []), phase]);
      effectTimes.set(id, [...(effectTimes.get(id) ?? []), new Date().toISOString()]);
      return json(response, 200, { applied: id });
    }
    if (kind === 'gate') {
      if (gate.armed) return void gate.held.push({ key: key!, response });
      return json(response, 200, { open: true });
    }
    json(response, 404, { error: 'no such stand-in path' });
  });
  [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
  apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  env = {
    ...process.env,
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    MENDFLOW_SECRET_KEY: 'ab'.repeat(32),
    MENDFLOW_ADMIN_EMAIL: ADMIN.email,
    MENDFLOW_ADMIN_PASSWORD: ADMIN.password,
    MENDFLOW_BOOTSTRAP_API_KEY: BOOTSTRAP_KEY,
    // CHAOS_LOG_LEVEL=debug keeps every attempt's log lines, for chasing a failure.
    LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn',
    ALLOW_PRIVATE_NETWORK: 'true',
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    WORKER_AUTOMATION_SHARE: '1',
    WORKER_LOCK_DURATION_MS: '2000',
    STALE_QUEUED_RUN_MS: '3000',
    WORKER_SHUTDOWN_GRACE_MS: '3000',
  };
  // The project's own migration command, as an operator runs it (it creates the database too).
  const migrate = startScript('db:migrate', env);
  const code = await new Promise<number | null>((resolve) => migrate.child.once('exit', resolve));
  if (code !== 0) throw new Error(`npm run db:migrate failed:\n${migrate.output()}`);
  await startApi();
  await Promise.all([startWorker(), startWorker()]);
  const created = await call('POST', '/api/v1/automations', {
    name: 'chaos-steps',
    source: `export default async function run(input, ctx) {
      const effect = (step) => ctx.step(step, async () => {
        const res = await ctx.fetch('${service.url}/effect/' + input.key + '/' + step, { method: 'POST' });
        return (await res.json()).applied;
      });
      const a = await effect('a');
      await ctx.fetch('${service.url}/gate/' + input.key);
      const b = await effect('b');
      return { a, b };
    }`,
    manifest: { permissions: { hosts: [service.url.replace('http://', '')] } },
  });
  if (created.status !== 201) throw new Error(`automation not created: ${JSON.stringify(created.body)}`);
  automationId = created.body.id;
}, 180_000);

afterAll(async () => {
  loadStopped = true;
  releaseGate();
  // Every process's output, for reading after a failure (the figures say what, the logs say why).
  mkdirSync('artifacts', { recursive: true });
  writeFileSync(
    'artifacts/chaos-logs.txt',
    [api, ...workers]
      .map((managed, i) => `==== ${i === 0 ? 'api' : `worker ${i}`}\n${managed?.output() ?? ''}`)
      .join('\n'),
  );
  // Whatever happened, nothing this suite started outlives it.
  await Promise.allSettled([api?.stop('SIGTERM', 5000), ...workers.map((worker) => worker.stop('SIGKILL'))]);
  await Promise.allSettled([postgres?.destroy(), redis?.destroy(), service?.close()]);
}, 60_000);

describe('durability under faults', () => {
  it('loses no run and repeats no step through worker kills, Redis and PostgreSQL restarts, and an API restart', async () => {
    const suiteStarted = Date.now();
    const load = [...Array(CLIENTS).keys()].map((index) => clientLoop(index));
    const probing = readinessLoop();
    const figures: Record<string, unknown> = {};
    try {
      // ---- 1. SIGKILL a worker mid-attempt, KILLS times ----
      enter('worker-kills');
      const killsStarted = Date.now();
      const kills: { at: number; held: string[] }[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        gate.armed = true;
        // Every slot of every live worker holds an attempt parked at the gate: none is inside a step.
        const slots = live().length * SLOTS_PER_WORKER;
        await until(`the gate did not hold ${slots} attempts`, async () => gate.held.length >= slots, 30_000);
        const victim = live()[kill % live().length]!;
        const at = Date.now();
        await victim.stop('SIGKILL');
        kills.push({ at, held: gate.held.map((held) => held.key) });
        releaseGate();
        await startWorker();
      }
      figures.workerKillPhaseMs = Date.now() - killsStarted;
      enter('steady');

      // ---- 2. Redis killed and started again with nothing in it ----
      enter('redis-down');
      await redis!.stop();
      const redisDown = Date.now();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      await redis!.start();
      enter('redis-back');
      const redisBack = Date.now();
      redisBackAt = redisBack;
      figures.redisRecoverMs = await recovered(redisBack);
      enter('steady');
      const acceptedDuringRedis = answers
        .filter(
          (answer) => answer.status === 202 && answer.at >= redisDown && answer.at < redisBack && answer.key,
        )
        .map((answer) => answer.key!);
      // The scheduler of the reconcile pass is back in the empty Redis (workers write it again).
      const probe = new Redis(redis!.url, { maxRetriesPerRequest: 1 });
      try {
        await until(
          'the reconcile job scheduler was not written again',
          async () => (await probe.exists('bull:maintenance:repeat:mendflow:runs.reconcile')) === 1,
          30_000,
        );
        figures.reconcileSchedulerBackMs = Date.now() - redisBack;
      } finally {
        probe.disconnect();
      }

      // ---- 3. PostgreSQL stopped and started again ----
      enter('pg-down');
      await postgres!.stop();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      await postgres!.start();
      enter('pg-back');
      figures.postgresRecoverMs = await recovered(Date.now());
      enter('steady');

      // ---- 4. The API restarted while clients keep submitting ----
      enter('api-restart');
      const apiStopping = Date.now();
      await api!.stop('SIGTERM', 10_000);
      figures.apiStopMs = Date.now() - apiStopping;
      await startApi();
      figures.apiRestartMs = await recovered(apiStopping);
      enter('steady');

      loadStopped = true;
      await Promise.all([...load, probing]);

      // ---- every accepted run rests ----
      const db = new pg.Client({ connectionString: postgres!.url });
      await db.connect();
      try {
        const drainStarted = Date.now();
        await until(
          'runs still not resting',
          async () => {
            const { rows } = await db.query(
              `SELECT count(*)::int AS n FROM runs WHERE status NOT IN (${RESTING.map((s) => `'${s}'`).join(',')})`,
            );
            return rows[0].n === 0;
          },
          120_000,
        );
        figures.drainMs = Date.now() - drainStarted;

        const { rows: runs } = await db.query<{ id: string; key: string; status: string; attempts: number }>(
          `SELECT id, input->>'key' AS key, status::text, attempt_count AS attempts FROM runs WHERE automation_id = $1`,
          [automationId],
        );
        const byKey = new Map<string, typeof runs>();
        for (const run of runs) byKey.set(run.key, [...(byKey.get(run.key) ?? []), run]);
        const lost = [...accepted.entries()].filter(([, id]) => !runs.some((run) => run.id === id));
        const duplicatedRuns = [...byKey.values()].filter((group) => group.length > 1);
        // Runs PostgreSQL holds whose 202 never reached its client (the API went away mid-answer).
        const unacknowledged = runs.filter((run) => !accepted.has(run.key));
        const statuses: Record<string, number> = {};
        for (const run of runs) statuses[run.status] = (statuses[run.status] ?? 0) + 1;
        const repeatedEffects = [...effects.entries()]
          .filter(([, count]) => count > 1)
          .map(([id, count]) => ({ id, count, phases: effectPhases.get(id), at: effectTimes.get(id) }));
        const succeededWithout = runs.filter(
          (run) =>
            run.status === 'succeeded' &&
            (effects.get(`${run.key}/a`) !== 1 || effects.get(`${run.key}/b`) !== 1),
        );
        const { rows: gaps } = await db.query(
          `SELECT run_id FROM run_events GROUP BY run_id HAVING min(seq) <> 1 OR max(seq) <> count(*)`,
        );
        // A worker kill is recovered from when the attempts it cut short run again (a new run.running).
        const { rows: starts } = await db.query<{ key: string; at: Date }>(
          `SELECT r.input->>'key' AS key, e.created_at AS at FROM runs r JOIN run_events e ON e.run_id = r.id
           WHERE r.automation_id = $1 AND e.type = 'run.running' ORDER BY e.created_at`,
          [automationId],
        );
        const killRecovery = kills.map(({ at, held }) => {
          const resumed = held
            .map((key) => starts.find((start) => start.key === key && start.at.getTime() > at)?.at.getTime())
            .filter((time): time is number => time !== undefined);
          return resumed.length > 0 ? Math.max(...resumed) - at : 0;
        });
        // Runs accepted while Redis was down had their enqueue refused: the reconciler enqueued them.
        const { rows: rescued } = await db.query<{ last: Date | null }>(
          `SELECT max(e.created_at) AS last FROM runs r JOIN run_events e ON e.run_id = r.id
           WHERE r.input->>'key' = ANY($1::text[])`,
          [acceptedDuringRedis],
        );
        const rescuedMs = rescued[0]?.last ? rescued[0].last.getTime() - redisBackAt : undefined;
        const sorted = [...killRecovery].sort((a, b) => a - b);
        const during = (...phases: Phase[]) => answers.filter((answer) => phases.includes(answer.phase));
        const serverErrors = answers.filter(
          (answer) =>
            typeof answer.status === 'number' &&
            answer.status >= 500 &&
            !(answer.status === 503 && answer.code === 'SERVICE_UNAVAILABLE'),
        );
        const unexpected = answers.filter(
          (answer) =>
            answer.status === 'timeout' ||
            (answer.status === 'refused' && answer.phase !== 'api-restart') ||
            (typeof answer.status === 'number' && answer.status < 500 && ![200, 202].includes(answer.status)),
        );
        const notReady = readiness.filter((answer) => answer.status === 503 && answer.code === 'NOT_READY');

        Object.assign(figures, {
          runsSubmitted: submitted,
          runsAccepted: accepted.size,
          acceptedWhileRedisDown: acceptedDuringRedis.length,
          redisDownRunsRescuedMs: rescuedMs,
          runsInPostgres: runs.length,
          unacknowledgedButStored: unacknowledged.length,
          finishedByStatus: statuses,
          lost: lost.length,
          duplicatedRuns: duplicatedRuns.length,
          duplicatedSteps: repeatedEffects.length,
          stepSideEffects: [...effects.values()].reduce((sum, count) => sum + count, 0),
          eventSeqGaps: gaps.length,
          workerKills: kills.length,
          attemptsHeldAtKills: kills.reduce((sum, kill) => sum + kill.held.length, 0),
          workerKillRecoverMs: { median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) },
          answers503: {
            redis: during('redis-down').filter((answer) => answer.status === 503).length,
            postgres: during('pg-down').filter((answer) => answer.status === 503).length,
          },
          readyz503WhileDown: notReady.length,
          otherServerErrors: serverErrors.length,
          unexpectedAnswers: unexpected.length,
          refusedWhileApiRestarted: during('api-restart').filter((answer) => answer.status === 'refused')
            .length,
          suiteMs: Date.now() - suiteStarted,
        });
        console.log(`chaos figures:\n${JSON.stringify(figures, null, 2)}`);
        mkdirSync('artifacts', { recursive: true });
        writeFileSync('artifacts/chaos-figures.json', `${JSON.stringify(figures, null, 2)}\n`);

        // What a repeated step's run went through, so a failure explains itself: its attempts, events and
        // stored steps, and every process's log lines that name it.
        if (repeatedEffects.length > 0) {
          const keys = repeatedEffects.map((effect) => effect.id.split('/')[0]!);
          const story = await db.query(
            `SELECT r.input->>'key' AS key, r.id,
                    (SELECT json_agg(json_build_object('n', a.number, 'status', a.status, 'started', a.started_at,
                       'finished', a.finished_at, 'error', a.error->>'code') ORDER BY a.number)
                     FROM run_attempts a WHERE a.run_id = r.id) AS attempts,
                    (SELECT json_agg(json_build_object('seq', e.seq, 'type', e.type, 'at', e.created_at) ORDER BY e.seq)
                     FROM run_events e WHERE e.run_id = r.id) AS events,
                    (SELECT json_agg(json_build_object('name', s.name, 'attempt', s.attempt, 'at', s.created_at))
                     FROM run_steps s WHERE s.run_id = r.id) AS steps
             FROM runs r WHERE r.input->>'key' = ANY($1::text[])`,
            [keys],
          );
          const ids = story.rows.map((row) => row.id as string);
          const lines = [api, ...workers].flatMap((managed, i) =>
            (managed?.output() ?? '')
              .split('\n')
              .filter((line) => ids.some((id) => line.includes(id)))
              .map((line) => `${i === 0 ? 'api' : `worker ${i}`}: ${line}`),
          );
          console.log(
            `repeated steps:\n${JSON.stringify({ repeatedEffects, phaseLog, runs: story.rows, lines }, null, 2)}`,
          );
        }

        expect(lost, 'accepted runs missing from PostgreSQL').toEqual([]);
        expect(duplicatedRuns, 'one submission, several runs').toEqual([]);
        expect(repeatedEffects, 'a step side effect applied twice').toEqual([]);
        expect(
          succeededWithout.map((run) => run.key),
          'succeeded runs whose steps did not each apply once',
        ).toEqual([]);
        expect(gaps, 'runs whose event seq has a gap').toEqual([]);
        expect(serverErrors.slice(0, 5), '5xx other than 503 SERVICE_UNAVAILABLE').toEqual([]);
        expect(
          unexpected.slice(0, 5),
          'hung requests, refused connections outside the API restart, other answers',
        ).toEqual([]);
        // While PostgreSQL was down both writes and reads were refused with 503 in the envelope.
        expect(
          during('pg-down').some((answer) => answer.status === 503 && answer.what.startsWith('POST')),
        ).toBe(true);
        expect(
          during('pg-down').some((answer) => answer.status === 503 && answer.what.startsWith('GET')),
        ).toBe(true);
        // Readiness said so for both outages.
        expect(readiness.some((answer) => answer.phase === 'redis-down' && answer.status === 503)).toBe(true);
        expect(readiness.some((answer) => answer.phase === 'pg-down' && answer.status === 503)).toBe(true);
        // Runs accepted while Redis was down had no job: the reconciler found them in PostgreSQL.
        expect(acceptedDuringRedis.length).toBeGreaterThan(0);
        expect(
          acceptedDuringRedis.filter(
            (key) => !runs.some((run) => run.key === key && run.status === 'succeeded'),
          ),
          'runs accepted while Redis was down that did not finish',
        ).toEqual([]);
        expect(statuses.failed ?? 0).toBe(0);
      } finally {
        await db.end();
      }
    } finally {
      loadStopped = true;
      releaseGate();
      enter('steady');
      await Promise.allSettled([...load, probing]);
    }
  }, 600_000);
});
