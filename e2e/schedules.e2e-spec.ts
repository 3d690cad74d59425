import { QueueNames, redisConnection, scheduleSchedulerId } from '@mendflow/queue';
import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiClient, waitForRun } from './support/client';
import { pause } from './support/live';
import { type Stack, startStack } from './support/stack';

// Schedules end to end: the API and TWO workers as separate processes, PostgreSQL and Redis. Time is
// driven by a schedule that fires every second, so a few seconds show many ticks; the assertions are
// properties a slow machine keeps (no tick with two runs, most ticks present), not exact counts.
let stack: Stack;
let api: Api;
let database: pg.Client;

beforeAll(async () => {
  // A reconciler pass every 2 s (STALE_QUEUED_RUN_MS / 2), so a lost scheduler is written again quickly.
  stack = await startStack('schedules', { redisDb: 15, workerEnv: { STALE_QUEUED_RUN_MS: '4000' } });
  await stack.startWorker();
  api = apiClient(stack.apiUrl);
  database = new pg.Client({ connectionString: stack.databaseUrl });
  await database.connect();
});

afterAll(async () => {
  await database?.end();
  await stack?.stop();
});

const EVERY_SECOND = '* * * * * *';

const REPORTING = `export default async function run(input, ctx) {
  return { scheduledAt: ctx.run.scheduledAt, trigger: ctx.run.trigger, input };
}`;

async function createScheduled(name: string, source: string, trigger: Record<string, unknown>) {
  const { status, body } = await api('POST', '/api/v1/automations', {
    name,
    source,
    manifest: { triggers: [{ type: 'cron', cron: EVERY_SECOND, ...trigger }] },
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body.id as string;
}

interface ScheduledRow {
  id: string;
  status: string;
  trigger: string;
  scheduledAt: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The automation's runs straight from PostgreSQL, oldest tick first. */
async function scheduledRuns(automationId: string): Promise<ScheduledRow[]> {
  const { rows } = await database.query<ScheduledRow>(
    `SELECT id, status, trigger, trigger_context->>'scheduledAt' AS "scheduledAt", created_at AS "createdAt",
            started_at AS "startedAt", finished_at AS "finishedAt"
     FROM runs WHERE automation_id = $1 ORDER BY trigger_context->>'scheduledAt', created_at`,
    [automationId],
  );
  return rows;
}

async function setStatus(automationId: string, status: 'active' | 'paused') {
  const answer = await api('PATCH', `/api/v1/automations/${automationId}`, { status });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

describe('schedules', () => {
  it('refuses a bad cron expression or time zone with a 400 naming the field', async () => {
    const bad = async (trigger: Record<string, unknown>) =>
      api('POST', '/api/v1/automations', {
        name: `bad-${Math.random().toString(36).slice(2)}`,
        source: REPORTING,
        manifest: { triggers: [{ type: 'cron', ...trigger }] },
      });
    const cron = await bad({ cron: '61 * * * *' });
    expect(cron.status).toBe(400);
    expect(cron.body.error.code).toBe('AUTOMATION_INVALID_MANIFEST');
    expect(cron.body.error.details.issues[0].path).toBe('manifest.triggers.0.cron');
    const zone = await bad({ cron: '0 * * * *', timezone: 'Mars/Olympus' });
    expect(zone.status).toBe(400);
    expect(zone.body.error.details.issues[0].path).toBe('manifest.triggers.0.timezone');
    // The runs' input is checked at deploy as a run's would be: here it lacks the concurrency key.
    const keyless = await api('POST', '/api/v1/automations', {
      name: 'keyless-schedule',
      source: REPORTING,
      manifest: {
        concurrency: { limit: 1, key: '/customerId' },
        triggers: [{ type: 'cron', cron: '0 * * * *', input: { other: 1 } }],
      },
    });
    expect(keyless.status).toBe(400);
    expect(keyless.body.error.code).toBe('AUTOMATION_INVALID_MANIFEST');
    expect(keyless.body.error.details.issues[0].path).toBe('manifest.triggers.0.input.customerId');
  });

  it('a schedule firing exactly once per tick with two workers running; pause stops it, resume restarts it', async () => {
    const automationId = await createScheduled('every-second', REPORTING, {
      overlap: 'allow',
      input: { from: 'schedule' },
    });

    const listed = await api('GET', `/api/v1/automations/${automationId}/triggers`);
    expect(listed.status).toBe(200);
    const [schedule] = listed.body.items;
    expect(schedule.kind).toBe('cron');
    expect(schedule.config).toMatchObject({ cron: EVERY_SECOND, timezone: 'UTC', catchUp: 'none' });
    expect(schedule.nextFireTimes).toHaveLength(5);
    const fireTimes = (schedule.nextFireTimes as string[]).map((t) => Date.parse(t));
    for (let i = 1; i < fireTimes.length; i++) expect(fireTimes[i]! - fireTimes[i - 1]!).toBe(1000);

    await pause(6000);
    await setStatus(automationId, 'paused');
    const pausedAt = Date.now();
    await pause(2500);

    const runs = await scheduledRuns(automationId);
    const ticks = runs.map((run) => run.scheduledAt);
    // Exactly once per tick: no tick has two runs, though two workers took ticks.
    expect(new Set(ticks).size).toBe(ticks.length);
    // Most of the ~6 ticks are there (a slow machine may miss a tick or two, never double one).
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    for (const tick of ticks) expect(Date.parse(tick) % 1000).toBe(0);
    // The pause stopped the schedule: no tick after the pause answered (and a second to settle).
    for (const tick of ticks) expect(Date.parse(tick)).toBeLessThanOrEqual(pausedAt + 1000);
    expect(runs.every((run) => run.trigger === 'cron')).toBe(true);

    for (const run of runs) {
      const done = await waitForRun(api, run.id);
      expect(done.status).toBe('succeeded');
      expect(done.trigger).toBe('cron');
      expect(done.triggerContext).toEqual({
        kind: 'cron',
        triggerId: schedule.id,
        scheduledAt: run.scheduledAt,
      });
      expect(done.output).toEqual({
        scheduledAt: run.scheduledAt,
        trigger: 'cron',
        input: { from: 'schedule' },
      });
    }

    // The delay from a tick to its run, as the closing note reports it.
    const finished = await scheduledRuns(automationId);
    const created = finished.map((run) => run.createdAt.getTime() - Date.parse(run.scheduledAt));
    const started = finished.map((run) => run.startedAt!.getTime() - Date.parse(run.scheduledAt));
    console.log(
      `tick → run created: p50 ${percentile(created, 50)} ms, p95 ${percentile(created, 95)} ms; ` +
        `tick → run started: p50 ${percentile(started, 50)} ms, p95 ${percentile(started, 95)} ms (${finished.length} ticks)`,
    );

    // Paused: the schedule is not in force.
    expect((await api('GET', `/api/v1/automations/${automationId}/triggers`)).body.items).toEqual([]);

    // Resumed: ticks start runs again.
    await setStatus(automationId, 'active');
    const resumedAt = Date.now();
    const deadline = resumedAt + 10_000;
    let resumedRuns: ScheduledRow[] = [];
    while (Date.now() < deadline) {
      resumedRuns = (await scheduledRuns(automationId)).filter(
        (run) => Date.parse(run.scheduledAt) > pausedAt + 1000,
      );
      if (resumedRuns.length >= 2) break;
      await pause(200);
    }
    expect(resumedRuns.length).toBeGreaterThanOrEqual(2);

    const after = await api('GET', `/api/v1/automations/${automationId}/triggers`);
    const [resumed] = after.body.items;
    expect(resumed.lastTickOutcome).toBe('run_created');
    expect(resumed.lastRuns.length).toBeGreaterThanOrEqual(1);
    expect(resumed.lastRuns.length).toBeLessThanOrEqual(5);
    const lastTicks = (resumed.lastRuns as { scheduledAt: string }[]).map((run) => run.scheduledAt);
    expect(lastTicks).toEqual([...lastTicks].sort().reverse());

    const cronOnly = await api('GET', `/api/v1/runs?trigger=cron&automationId=${automationId}&limit=100`);
    expect(cronOnly.status).toBe(200);
    expect(cronOnly.body.items.length).toBeGreaterThan(0);
    expect(cronOnly.body.items.every((run: { trigger: string }) => run.trigger === 'cron')).toBe(true);
    const manualOnly = await api('GET', `/api/v1/runs?trigger=manual&automationId=${automationId}`);
    expect(manualOnly.body.items).toEqual([]);
    const badFilter = await api('GET', '/api/v1/runs?trigger=sometimes');
    expect(badFilter.status).toBe(400);

    // Deleting removes the schedule for good.
    expect((await api('DELETE', `/api/v1/automations/${automationId}`)).status).toBe(204);
    const deletedAt = Date.now();
    await pause(2000);
    const late = (await scheduledRuns(automationId)).filter(
      (run) => Date.parse(run.scheduledAt) > deletedAt + 1000,
    );
    expect(late).toEqual([]);
  }, 60_000);

  it("overlap 'skip' starts no tick's run while the previous scheduled run still goes", async () => {
    const automationId = await createScheduled(
      'overlap-skip',
      `export default async function run(input, ctx) {
        await ctx.sleep(2500);
        return { scheduledAt: ctx.run.scheduledAt };
      }`,
      {},
    );
    const outcomes = new Set<string>();
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline) {
      const { body } = await api('GET', `/api/v1/automations/${automationId}/triggers`);
      if (body.items[0]?.lastTickOutcome) outcomes.add(body.items[0].lastTickOutcome);
      await pause(250);
    }
    expect((await api('DELETE', `/api/v1/automations/${automationId}`)).status).toBe(204);

    const runs = await scheduledRuns(automationId);
    for (const run of runs) await waitForRun(api, run.id, ['succeeded'], 20_000);
    const settled = await scheduledRuns(automationId);
    // Over 8 s of every-second ticks with 2.5 s runs: a few runs, the ticks between them skipped.
    expect(settled.length).toBeGreaterThanOrEqual(2);
    expect(settled.length).toBeLessThanOrEqual(4);
    expect(outcomes.has('skipped_overlap')).toBe(true);
    // No two overlap: each run was created after the one before it finished.
    for (let i = 1; i < settled.length; i++) {
      expect(settled[i]!.createdAt.getTime()).toBeGreaterThanOrEqual(settled[i - 1]!.finishedAt!.getTime());
    }
  }, 60_000);

  it('a scheduler Redis lost is written again by the reconciler, and the schedule goes on without doubling a tick', async () => {
    const automationId = await createScheduled('redis-loss', REPORTING, {
      overlap: 'allow',
      catchUp: 'latest',
    });
    const [schedule] = (await api('GET', `/api/v1/automations/${automationId}/triggers`)).body.items;
    await pause(2500);
    // Redis loses the scheduler (a flush, a failover to an empty replica): no more tick jobs.
    const maintenance = new Queue(QueueNames.maintenance, { connection: redisConnection(stack.redisUrl) });
    try {
      expect(await maintenance.removeJobScheduler(scheduleSchedulerId(schedule.id))).toBe(true);
      const lostAt = Date.now();
      const deadline = lostAt + 15_000;
      let repaired = false;
      while (Date.now() < deadline && !repaired) {
        await pause(250);
        repaired = (await maintenance.getJobScheduler(scheduleSchedulerId(schedule.id))) !== undefined;
      }
      expect(repaired).toBe(true);
      await pause(2500);
      const runs = await scheduledRuns(automationId);
      const ticks = runs.map((run) => run.scheduledAt);
      expect(new Set(ticks).size).toBe(ticks.length);
      // Ticks after the repair started runs again.
      expect(ticks.filter((tick) => Date.parse(tick) > lostAt + 1000).length).toBeGreaterThanOrEqual(1);
    } finally {
      await maintenance.close();
    }
    expect((await api('DELETE', `/api/v1/automations/${automationId}`)).status).toBe(204);
  }, 60_000);
});
