/**
 * No run without an owner, at the worker level: attempts whose result, logs, errors or host calls
 * hold characters PostgreSQL cannot store are settled (never left `running`), through the real
 * executor, settler, sandbox, PostgreSQL and Redis. So are attempts whose sandbox throws, or whose
 * outcome the database refuses; only an unreachable database is left to BullMQ.
 */
import { defaultManifest } from '@mendflow/common';
import { AutomationsRepository, createDb, type Db, RunsRepository } from '@mendflow/db';
import { type AttemptResult, Sandbox } from '@mendflow/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  seedAutomation,
  type TestDatabase,
} from '../../../../libs/db/src/testing/test-database';
import { createTestEngine, type TestEngine } from '../../../../libs/engine/src/testing/test-engine';
import type { RunEngine } from '@mendflow/engine';
import type { WorkerConfig } from '../config/worker-config';
import { testExecutor } from '../testing/test-executor';
import { RunExecutor } from './run-executor.service';
import { testRedis } from '../../../../libs/queue/src/testing/test-redis';

/** Redis db 14 and a prefix of this file's own: nothing another suite uses. */
const { redisUrl, prefix } = testRedis(14, 'executor');

let database: TestDatabase;
let db: Db;
let sandbox: Sandbox;
let testEngine: TestEngine;
/** Engines over a database made to fail, closed with the suite. */
const brokenEngines: TestEngine[] = [];
let seeded: Awaited<ReturnType<typeof seedAutomation>>;

const config = {
  REDIS_URL: redisUrl,
  REPAIR_PROVIDER: 'none',
  REPAIR_COOLDOWN_MS: 0,
  REPAIR_TOKEN_BUDGET_PER_DAY: 0,
} as WorkerConfig;

/** The worker's executor with real parts; `sandbox` and the settling database can be swapped to break them. */
function executor(options: { sandbox?: Pick<Sandbox, 'runAttempt'>; settleDb?: Db } = {}): RunExecutor {
  let settle: { engine: RunEngine; db: Db } | undefined;
  if (options.settleDb) {
    // A settle database that refuses statements breaks the settler's engine, not the start.
    const broken = createTestEngine(options.settleDb, { redisUrl, prefix });
    brokenEngines.push(broken);
    settle = { engine: broken.engine, db: options.settleDb };
  }
  return testExecutor({ db, engine: testEngine.engine, sandbox: options.sandbox ?? sandbox, config, settle });
}

/** Queues a run of `source` (its own version) and executes its first attempt as the worker would. */
async function runScript(
  source: string,
  options: Parameters<typeof executor>[0] = {},
  language: 'javascript' | 'typescript' = 'javascript',
) {
  const manifest = defaultManifest();
  manifest.permissions.secrets = ['API_KEY'];
  const version = await new AutomationsRepository(db).addVersion(seeded.workspaceId, seeded.automationId, {
    source,
    language,
    manifest,
    createdByKind: 'user',
    createdBy: seeded.userId,
  });
  const runs = new RunsRepository(db);
  const { run } = await runs.createQueued(seeded.workspaceId, {
    automationId: seeded.automationId,
    versionId: version.id,
    trigger: 'api',
    input: {},
  });
  await executor(options).execute({ runId: run.id, workspaceId: seeded.workspaceId, attempt: 1 });
  return read(run.id);
}

async function read(runId: string) {
  const runs = new RunsRepository(db);
  const { workspaceId } = seeded;
  const [attempt] = await runs.listAttempts(workspaceId, runId);
  const [logs] = await runs.listLogs(workspaceId, runId);
  return {
    run: await runs.get(workspaceId, runId),
    attempt: attempt!,
    logs: logs?.logs as { level: string; message: string; data?: unknown }[],
    events: (await runs.listEvents(workspaceId, runId)).map((e) => e.type),
    inbox: await db.inboxItem.findMany({ where: { runId }, select: { kind: true } }),
    recording: (await db.runAttempt.findFirst({ where: { runId }, select: { recording: true } }))?.recording,
  };
}

const script = (body: string) => `export default async function run(input, ctx) {\n${body}\n}\n`;

beforeAll(async () => {
  database = await createTestDatabase('run_executor');
  db = createDb(database.url, { poolSize: 4 });
  seeded = await seedAutomation(db, 'executor');
  sandbox = new Sandbox({ poolSize: 1 });
  testEngine = createTestEngine(db, { redisUrl, prefix });
});

afterAll(async () => {
  await sandbox?.close();
  for (const engine of brokenEngines) await engine.close();
  await testEngine?.close();
  await db?.$disconnect();
  await database?.drop();
});

describe('RunExecutor settles every attempt it starts (PostgreSQL, Redis)', () => {
  it('runs a TypeScript version type-stripped, and locates its error in the TypeScript', async () => {
    const ok = await runScript(
      'type Out = { n: number };\nexport default async (input: unknown, ctx: any): Promise<Out> => ({ n: 1 as number });\n',
      {},
      'typescript',
    );
    expect(ok.run.status).toBe('succeeded');
    expect(ok.attempt.output).toEqual({ n: 1 });

    const failed = await runScript(
      'interface A { b: number }\nexport default async (input: A) => {\n  const a: A = input;\n  return (a as any).missing.b;\n};\n',
      {},
      'typescript',
    );
    expect(failed.attempt).toMatchObject({
      status: 'failed',
      error: {
        name: 'TypeError',
        // V8 locates reading a property of undefined at the property's name: the `b` of `.missing.b`.
        location: `script.js:4:${'  return (a as any).missing.b;'.indexOf('.b;') + 2}`,
      },
    });
  });

  it('settles a TypeScript version that does not strip (stored without the deploy lint) as a located SyntaxError', async () => {
    const { run, attempt, events } = await runScript(
      'const x = 1;\nenum Level { Low }\nexport default async () => x;\n',
      {},
      'typescript',
    );
    expect(run.status).toBe('action_needed');
    expect(attempt).toMatchObject({
      status: 'failed',
      error: {
        name: 'SyntaxError',
        location: 'script.js:2:1',
        message: expect.stringMatching(/^TypeScript enum/),
      },
    });
    expect(events).toEqual(['run.queued', 'run.running', 'run.action_needed']);
  });

  it('settles a run whose result holds a NUL: failed clearly, classified, not running', async () => {
    const { run, attempt, events, inbox } = await runScript(
      script(`return { rows: [{ name: 'x\\u0000' }] };`),
    );
    expect(run.status).toBe('action_needed');
    expect(attempt).toMatchObject({
      status: 'failed',
      output: null,
      error: {
        name: 'TypeError',
        code: 'INVALID_CHARACTERS',
        message: 'The result contains a NUL character (U+0000) at $.rows[0].name, which cannot be stored',
      },
      classification: { class: 'logic' },
    });
    expect(events).toEqual(['run.queued', 'run.running', 'run.action_needed']);
    expect(inbox).toEqual([{ kind: 'repair_failed' }]);
  });

  it('stores logs, the error and recorded responses with U+FFFD in place of NUL and lone surrogates', async () => {
    const { run, attempt, logs } = await runScript(
      script(`
        console.log('a\\u0000b', '\\ud800');
        ctx.log.warn('data', { ['k\\u0000']: ['\\udfff'] });
        throw new Error('bad \\u0000 \\ud800');
      `),
    );
    expect(run.status).toBe('action_needed');
    expect(attempt.error).toMatchObject({ name: 'Error', message: 'bad \ufffd \ufffd' });
    expect(logs).toMatchObject([
      { level: 'info', message: 'a\ufffdb \ufffd' },
      { level: 'warn', message: 'data', data: { 'k\ufffd': ['\ufffd'] } },
    ]);
  });

  it.each([
    ['ctx.kv.get', `await ctx.kv.get('a\\u0000b');`],
    ['ctx.secrets.get', `await ctx.secrets.get('API\\u0000KEY');`],
    ['ctx.step', `await ctx.step('s\\ud800', () => 1);`],
  ])(
    'settles a run whose %s call holds a NUL or a lone surrogate (INVALID_CHARACTERS)',
    async (_op, body) => {
      const { run, attempt, recording } = await runScript(script(body));
      expect(run.status).toBe('action_needed');
      expect(attempt.error).toMatchObject({ name: 'TypeError', code: 'INVALID_CHARACTERS' });
      expect((recording as { calls: unknown[] }).calls).toHaveLength(2); // the clock and the seed only
    },
  );

  it('lets the script catch the refusal and succeed, storing nothing it refused', async () => {
    const { run, attempt } = await runScript(
      script(`
        const codes = [];
        for (const call of [() => ctx.kv.set('k', { v: 'x\\u0000' }), () => ctx.kv.set('k\\u0000', 1), () => ctx.step('s', () => 'x\\ud800')]) {
          try { await call(); } catch (e) { codes.push(e.code); }
        }
        return codes;
      `),
    );
    expect(run.status).toBe('succeeded');
    expect(attempt.output).toEqual(['INVALID_CHARACTERS', 'INVALID_CHARACTERS', 'INVALID_CHARACTERS']);
    expect(await db.kvEntry.count({ where: { automationId: seeded.automationId } })).toBe(0);
    expect(await db.runStep.count({ where: { runId: run.id } })).toBe(0);
  });

  it('settles the attempt without what the database refused (STORAGE_REJECTED)', async () => {
    // An engine that hands back what PostgreSQL cannot store (the sandbox never does; the worker must
    // not rely on that): the first settle fails on the value, the second stores a minimal outcome.
    const unstorable: Pick<Sandbox, 'runAttempt'> = {
      runAttempt: async (): Promise<AttemptResult> => ({
        status: 'succeeded',
        output: { text: 'a\u0000' },
        logs: [{ level: 'info', message: 'b\u0000', t: 0 }],
        logsTruncated: false,
        recording: { version: 1, calls: [] },
        cost: { wallMs: 1, cpuMs: 1, memoryBytes: 0, fetches: 0, hostCalls: 0 },
      }),
    };
    const { run, attempt, logs, events } = await runScript(script('return 1;'), { sandbox: unstorable });
    expect(run.status).toBe('action_needed');
    expect(attempt).toMatchObject({
      status: 'failed',
      output: null,
      error: { name: 'StorageError', code: 'STORAGE_REJECTED' },
    });
    expect(attempt.error?.message).toMatch(
      /^The attempt's outcome could not be stored \(PostgreSQL refused the statement \(SQLSTATE 22P05: unsupported Unicode escape sequence\)\), so its result, logs and recording were dropped; the attempt had succeeded$/,
    );
    expect(logs).toEqual([]);
    expect(events).toEqual(['run.queued', 'run.running', 'run.action_needed']);
  });

  it('settles the attempt when the sandbox throws (SANDBOX_ERROR)', async () => {
    const broken: Pick<Sandbox, 'runAttempt'> = {
      runAttempt: () => Promise.reject(new Error('the sandbox process went away')),
    };
    const { run, attempt } = await runScript(script('return 1;'), { sandbox: broken });
    expect(run.status).toBe('action_needed');
    expect(attempt.error).toEqual({
      name: 'SandboxError',
      code: 'SANDBOX_ERROR',
      message: 'The sandbox failed while running the attempt: Error: the sandbox process went away',
    });
  });

  it('leaves the run to BullMQ and the reconciler when the database cannot be reached', async () => {
    const unreachable = createDb('postgresql://postgres@127.0.0.1:1/nowhere', { poolSize: 1 });
    try {
      await expect(runScript(script('return 1;'), { settleDb: unreachable })).rejects.toThrow(
        /ECONNREFUSED/,
      );
      const running = await db.run.findMany({ where: { status: 'running' }, select: { id: true } });
      expect(running).toHaveLength(1);
    } finally {
      await unreachable.$disconnect();
    }
  });
});
