/**
 * The repair loop as a machine, against real PostgreSQL, Redis (the engine's queues) and the sandbox:
 * a failing run handed to the repair loop by the real executor and settler, a stand-in provider, the
 * real validator replaying recordings. Checks the statuses the repair passes through, the run's
 * events, and that a worker dying mid-repair is continued from the stored status without asking the
 * provider again.
 */
import { defaultManifest } from '@mendflow/common';
import {
  AuditRepository,
  AutomationsRepository,
  createDb,
  type Db,
  type RepairStatus,
  RepairsRepository,
  RunExecutionRepository,
  RunsRepository,
  TriggersRepository,
} from '@mendflow/db';
import { Sandbox } from '@mendflow/sandbox';
import { ScheduleSync } from '@mendflow/triggers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  seedAutomation,
  type TestDatabase,
} from '../../../../libs/db/src/testing/test-database';
import { createTestEngine, type TestEngine } from '../../../../libs/engine/src/testing/test-engine';
import type { WorkerConfig } from '../config/worker-config';
import { testExecutor } from '../testing/test-executor';
import { WorkerMetrics } from '../health/worker-metrics';
import { RunExecutor } from '../runs/run-executor.service';
import type { SandboxHost } from '../runs/sandbox.provider';
import { CandidateValidator } from './candidate-validator';
import { RepairBudget } from './repair-budget.service';
import type { RepairProposal, RepairProvider, RepairRequest } from './repair-provider';
import { RepairService } from './repair.service';
import { RepairProcessor } from './repair.processor';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { repairJobId } from '@mendflow/queue';
import { inSpan } from '@mendflow/telemetry';
import { testRedis } from '../../../../libs/queue/src/testing/test-redis';

const { redisUrl, prefix } = testRedis(14, 'repair');

const config = {
  REDIS_URL: redisUrl,
  REPAIR_PROVIDER: 'openai',
  REPAIR_COOLDOWN_MS: 0,
  REPAIR_TOKEN_BUDGET_PER_DAY: 1_000_000,
  REPAIR_PRICE_INPUT_PER_MTOK: 2,
  REPAIR_PRICE_OUTPUT_PER_MTOK: 8,
} as WorkerConfig;

const BROKEN = 'export default async function run(input, ctx) {\n  return input.contact.email;\n}\n';
const FIXED =
  'export default async function run(input, ctx) {\n  return (input.contact ?? input.contact_info).email;\n}\n';

/** The same failure and fix in TypeScript: the error is on line 3, after an interface. */
const BROKEN_TS =
  'interface Input { contact?: { email: string } }\nexport default async function run(input: Input, ctx: unknown): Promise<string> {\n  return input.contact!.email;\n}\n';
const FIXED_TS =
  'interface Input { contact?: { email: string }; contact_info?: { email: string } }\nexport default async function run(input: Input, ctx: unknown): Promise<string> {\n  return (input.contact ?? input.contact_info)!.email;\n}\n';

/** A run's timeline once the repair loop deployed its fix and resumed it. */
const REPAIRED_TIMELINE = [
  'run.queued',
  'run.running',
  'run.repairing',
  'repair.proposed',
  'repair.validated',
  'repair.deployed',
];

let database: TestDatabase;
let db: Db;
let sandbox: Sandbox;
let testEngine: TestEngine;

/** A provider that answers FIXED (or throws `fail`) and counts the requests it got. */
class StandInProvider implements RepairProvider {
  readonly name = 'stand-in';
  readonly requests: RepairRequest[] = [];
  constructor(
    private readonly fail?: Error,
    private readonly fixed = FIXED,
  ) {}
  async propose(request: RepairRequest): Promise<RepairProposal> {
    this.requests.push(request);
    if (this.fail) throw this.fail;
    return {
      source: this.fixed,
      explanation: 'contact was renamed to contact_info',
      model: 'stand-in-1',
      prompt: [{ role: 'user', content: 'fix it' }],
      answer: '{"source":"…"}',
      promptTokens: 100,
      completionTokens: 50,
    };
  }
}

/** The repositories' moves, as RepairService makes them (every status change goes through transition). */
class RecordingRepairs extends RepairsRepository {
  readonly moves: string[] = [];
  override async transition(...args: Parameters<RepairsRepository['transition']>): Promise<boolean> {
    const moved = await super.transition(...args);
    this.moves.push(`${args[2]}→${args[3]}${moved ? '' : ' (lost)'}`);
    return moved;
  }
}

function repairService(
  provider: RepairProvider,
  options: {
    repairs?: RepairsRepository;
    validator?: CandidateValidator;
    automations?: AutomationsRepository;
    metrics?: WorkerMetrics;
  } = {},
) {
  const repairs = options.repairs ?? new RepairsRepository(db);
  return new RepairService(
    provider,
    repairs,
    options.automations ?? new AutomationsRepository(db),
    new RunExecutionRepository(db),
    new AuditRepository(db),
    options.validator ?? new CandidateValidator({ sandbox } as unknown as SandboxHost),
    testEngine.engine,
    options.metrics ?? new WorkerMetrics(),
    new RepairBudget(repairs, config),
    new RunsRepository(db),
    new ScheduleSync(new TriggersRepository(db), testEngine.queues.maintenance),
  );
}

/** The repair counters of one registry: results, tokens by direction, cost. */
async function repairFigures(metrics: WorkerMetrics) {
  const results = (await metrics.repairs.get()).values.map((v) => [v.labels.result, v.value]);
  const tokens = (await metrics.repairTokens.get()).values.map((v) => [v.labels.direction, v.value]);
  const cost = (await metrics.repairCost.get()).values[0]?.value ?? 0;
  return { ...Object.fromEntries([...results, ...tokens]), cost };
}

/** A new automation whose deployed version is BROKEN, with one good run and one run handed to repair. */
async function failingRun(
  label: string,
  repairOptions: { requireApproval?: boolean } = {},
  script: { source: string; language: 'javascript' | 'typescript' } = {
    source: BROKEN,
    language: 'javascript',
  },
) {
  const seeded = await seedAutomation(db, label);
  const manifest = defaultManifest();
  manifest.repair = { ...manifest.repair, ...repairOptions };
  const automations = new AutomationsRepository(db);
  const version = await automations.addVersion(seeded.workspaceId, seeded.automationId, {
    source: script.source,
    language: script.language,
    manifest,
    createdByKind: 'user',
    createdBy: seeded.userId,
  });
  const runs = new RunsRepository(db);
  const execute = async (input: unknown) => {
    const { run } = await runs.createQueued(seeded.workspaceId, {
      automationId: seeded.automationId,
      versionId: version.id,
      trigger: 'api',
      input,
    });
    await executor().execute({ runId: run.id, workspaceId: seeded.workspaceId, attempt: 1 });
    return run.id;
  };
  const goodRunId = await execute({ contact: { email: 'a@example.com' } });
  const runId = await execute({ contact_info: { email: 'b@example.com' } });
  const run = await runs.get(seeded.workspaceId, runId);
  expect(run.status).toBe('repairing');
  const [repair] = await new RepairsRepository(db).list(seeded.workspaceId, { runId, limit: 5 });
  expect(repair).toMatchObject({ status: 'requested', attempt: 1 });
  return { ...seeded, runId, goodRunId, repairId: repair!.id, baseVersion: version };
}

function executor(): RunExecutor {
  return testExecutor({ db, engine: testEngine.engine, sandbox, config });
}

async function eventsOf(workspaceId: string, runId: string) {
  return (await new RunsRepository(db).listEvents(workspaceId, runId)).map((e) => e.type);
}

async function statusOf(workspaceId: string, repairId: string): Promise<RepairStatus> {
  return (await new RepairsRepository(db).get(workspaceId, repairId)).status;
}

beforeAll(async () => {
  database = await createTestDatabase('repair_loop');
  db = createDb(database.url, { poolSize: 4 });
  sandbox = new Sandbox({ poolSize: 1 });
  testEngine = createTestEngine(db, { redisUrl, prefix });
});

afterAll(async () => {
  await sandbox?.close();
  await testEngine?.close();
  await db?.$disconnect();
  await database?.drop();
});

describe('the repair loop (PostgreSQL, Redis, sandbox)', () => {
  it('repairs a TypeScript script in TypeScript: told the language, replayed stripped, deployed as TypeScript', async () => {
    const { workspaceId, automationId, runId, goodRunId, repairId } = await failingRun(
      'tscript_repair_ts',
      {},
      { source: BROKEN_TS, language: 'typescript' },
    );
    const provider = new StandInProvider(undefined, FIXED_TS);
    await repairService(provider).process(workspaceId, repairId);

    expect(provider.requests[0]).toMatchObject({
      language: 'typescript',
      source: BROKEN_TS,
      // The location and line are the TypeScript's: the attempt ran the stripped code at the same positions.
      error: {
        name: 'TypeError',
        location: expect.stringMatching(/^script\.js:3:/),
        sourceLine: 'return input.contact!.email;',
      },
    });
    const repair = await new RepairsRepository(db).get(workspaceId, repairId);
    expect(repair).toMatchObject({
      status: 'deployed',
      candidateSource: FIXED_TS,
      validation: {
        passed: true,
        failingReplay: { status: 'succeeded' },
        regressions: [{ runId: goodRunId, sameOutput: true }],
      },
    });
    const automation = await new AutomationsRepository(db).get(workspaceId, automationId);
    expect(automation.deployedVersion).toMatchObject({
      id: repair.deployedVersionId,
      source: FIXED_TS,
      language: 'typescript',
      createdByKind: 'repair',
    });
    expect(await new RunsRepository(db).get(workspaceId, runId)).toMatchObject({ status: 'queued' });
  });

  it('proposes, validates by replay and deploys, then the run resumes on the new version', async () => {
    const { workspaceId, automationId, runId, goodRunId, repairId } = await failingRun('repair_deploy');
    const provider = new StandInProvider();
    const repairs = new RecordingRepairs(db);
    const metrics = new WorkerMetrics();
    await repairService(provider, { repairs, metrics }).process(workspaceId, repairId);

    expect(repairs.moves).toEqual(['requested→proposed', 'proposed→validated', 'validated→deployed']);
    expect(await repairFigures(metrics)).toEqual({
      deployed: 1,
      input: 100,
      output: 50,
      cost: (100 * 2 + 50 * 8) / 1e6,
    });
    expect(provider.requests).toHaveLength(1);
    expect(provider.requests[0]).toMatchObject({
      source: BROKEN,
      error: { name: 'TypeError', sourceLine: 'return input.contact.email;' },
      input: { contact_info: { email: 'b@example.com' } },
      recentSuccesses: [{ input: { contact: { email: 'a@example.com' } }, output: 'a@example.com' }],
    });

    const repair = await new RepairsRepository(db).get(workspaceId, repairId);
    expect(repair).toMatchObject({
      status: 'deployed',
      model: 'stand-in-1',
      candidateSource: FIXED,
      explanation: 'contact was renamed to contact_info',
      promptTokens: 100,
      completionTokens: 50,
      validation: {
        passed: true,
        failingReplay: { status: 'succeeded' },
        regressions: [{ runId: goodRunId, sameOutput: true }],
      },
    });
    expect(repair.costUsd).toBeCloseTo((100 * 2 + 50 * 8) / 1e6, 12);
    expect(repair.diff).toContain('+  return (input.contact ?? input.contact_info).email;');

    const automation = await new AutomationsRepository(db).get(workspaceId, automationId);
    expect(automation.deployedVersion).toMatchObject({
      id: repair.deployedVersionId,
      source: FIXED,
      createdByKind: 'repair',
      createdBy: repairId,
    });
    const run = await new RunsRepository(db).get(workspaceId, runId);
    expect(run).toMatchObject({ status: 'queued', versionId: repair.deployedVersionId });
    expect(await eventsOf(workspaceId, runId)).toEqual(REPAIRED_TIMELINE);
    const audit = await db.auditEntry.findMany({ where: { workspaceId }, orderBy: { id: 'asc' } });
    expect(audit.map((e) => [e.action, e.actorKind, e.actorId])).toEqual(
      expect.arrayContaining([
        ['repair.proposed', 'repair', repairId],
        ['repair.deployed', 'repair', repairId],
      ]),
    );
    const next = await testEngine.queues.runs.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(next.map((j) => j.data)).toContainEqual(expect.objectContaining({ runId, attempt: 2 }));

    // The job delivered again: the repair rests, nothing is asked, deployed or moved twice.
    const again = new StandInProvider();
    await repairService(again, { repairs }).process(workspaceId, repairId);
    expect(again.requests).toHaveLength(0);
    expect(repairs.moves).toHaveLength(3);
    expect(await db.automationVersion.count({ where: { automationId } })).toBe(3);
    expect((await eventsOf(workspaceId, runId)).filter((e) => e === 'repair.deployed')).toHaveLength(1);
  });

  it('a worker that died after the proposal continues from proposed without asking the provider again', async () => {
    const { workspaceId, runId, repairId } = await failingRun('repair_resume');
    const first = new StandInProvider();
    const dying = {
      validate: () => Promise.reject(new Error('the worker died')),
    } as unknown as CandidateValidator;
    await expect(repairService(first, { validator: dying }).process(workspaceId, repairId)).rejects.toThrow(
      'the worker died',
    );
    expect(first.requests).toHaveLength(1);
    expect(await statusOf(workspaceId, repairId)).toBe('proposed');
    expect((await new RunsRepository(db).get(workspaceId, runId)).status).toBe('repairing');

    // Redelivered to another worker, whose provider would fail if it were asked.
    const second = new StandInProvider(new Error('must not be asked'));
    const repairs = new RecordingRepairs(db);
    await repairService(second, { repairs }).process(workspaceId, repairId);
    expect(second.requests).toHaveLength(0);
    expect(repairs.moves).toEqual(['proposed→validated', 'validated→deployed']);
    expect(await statusOf(workspaceId, repairId)).toBe('deployed');
    expect((await new RunsRepository(db).get(workspaceId, runId)).status).toBe('queued');
    expect(await eventsOf(workspaceId, runId)).toEqual(REPAIRED_TIMELINE);
  });

  it('a worker that died between claiming the deploy and deploying: the next delivery deploys and resumes', async () => {
    const { workspaceId, automationId, runId, repairId } = await failingRun('repair_claimed');
    class DyingAutomations extends AutomationsRepository {
      override addVersion(): never {
        throw new Error('the worker died');
      }
    }
    await expect(
      repairService(new StandInProvider(), { automations: new DyingAutomations(db) }).process(
        workspaceId,
        repairId,
      ),
    ).rejects.toThrow('the worker died');
    expect(await new RepairsRepository(db).get(workspaceId, repairId)).toMatchObject({
      status: 'deployed',
      deployedVersionId: null,
    });
    expect((await new RunsRepository(db).get(workspaceId, runId)).status).toBe('repairing');

    const provider = new StandInProvider(new Error('must not be asked'));
    await repairService(provider).process(workspaceId, repairId);
    const repair = await new RepairsRepository(db).get(workspaceId, repairId);
    expect(repair.deployedVersionId).toBeTruthy();
    expect(await db.automationVersion.count({ where: { automationId, createdByKind: 'repair' } })).toBe(1);
    expect(await new RunsRepository(db).get(workspaceId, runId)).toMatchObject({
      status: 'queued',
      versionId: repair.deployedVersionId,
    });
  });

  it('reads a repair stored as validating (before the machine) as proposed', async () => {
    const { workspaceId, runId, repairId } = await failingRun('repair_legacy');
    await new RepairsRepository(db).update(workspaceId, repairId, {
      status: 'validating',
      candidateSource: FIXED,
      diff: 'a diff',
      explanation: 'old row',
    });
    const provider = new StandInProvider(new Error('must not be asked'));
    const repairs = new RecordingRepairs(db);
    await repairService(provider, { repairs }).process(workspaceId, repairId);
    expect(provider.requests).toHaveLength(0);
    expect(repairs.moves).toEqual(['validating→validated', 'validated→deployed']);
    expect((await new RunsRepository(db).get(workspaceId, runId)).status).toBe('queued');
  });

  it('requireApproval: a validated repair waits for a person, the run in the inbox with the diff', async () => {
    const { workspaceId, runId, repairId } = await failingRun('repair_approval', { requireApproval: true });
    const repairs = new RecordingRepairs(db);
    await repairService(new StandInProvider(), { repairs }).process(workspaceId, repairId);
    expect(repairs.moves).toEqual([
      'requested→proposed',
      'proposed→validated',
      'validated→awaiting_approval',
    ]);
    expect((await new RunsRepository(db).get(workspaceId, runId)).status).toBe('action_needed');
    const items = await db.inboxItem.findMany({ where: { runId } });
    expect(items).toMatchObject([
      {
        kind: 'repair_approval',
        repairId,
        actions: ['approve', 'reject', 'cancel'],
        reason: 'contact was renamed to contact_info',
        evidence: { repairId, validation: { passed: true, failingReplay: 'succeeded' } },
      },
    ]);
    expect((items[0]!.evidence as { diff: string }).diff).toContain('contact_info');
  });

  it('a provider that fails → failed with the tokens it spent, and the run escalates', async () => {
    const { workspaceId, runId, repairId } = await failingRun('repair_provider_fails');
    const error = Object.assign(new Error('the answer held no script'), {
      usage: { promptTokens: 10, completionTokens: 5 },
    });
    const repairs = new RecordingRepairs(db);
    const metrics = new WorkerMetrics();
    await repairService(new StandInProvider(error), { repairs, metrics }).process(workspaceId, repairId);
    expect(repairs.moves).toEqual(['requested→failed']);
    // The tokens a failed call spent count too (and what they cost).
    expect(await repairFigures(metrics)).toEqual({
      failed: 1,
      input: 10,
      output: 5,
      cost: (10 * 2 + 5 * 8) / 1e6,
    });
    expect(await new RepairsRepository(db).get(workspaceId, repairId)).toMatchObject({
      status: 'failed',
      error: 'the stand-in repair provider failed: the answer held no script',
      promptTokens: 10,
      completionTokens: 5,
      candidateSource: null,
    });
    expect((await new RunsRepository(db).get(workspaceId, runId)).status).toBe('action_needed');
    expect(await db.inboxItem.findMany({ where: { runId } })).toMatchObject([
      { kind: 'repair_failed', title: 'Repair failed', evidence: { repairId } },
    ]);
  });

  it('a candidate that fails validation → failed with the report; the event and the inbox item say why', async () => {
    const { workspaceId, runId, repairId } = await failingRun('repair_invalid');
    const provider = new StandInProvider();
    provider.propose = async (request) => {
      provider.requests.push(request);
      return { source: BROKEN, explanation: 'no change', promptTokens: 1, completionTokens: 1 };
    };
    const repairs = new RecordingRepairs(db);
    await repairService(provider, { repairs }).process(workspaceId, repairId);
    expect(repairs.moves).toEqual(['requested→proposed', 'proposed→failed']);
    const repair = await new RepairsRepository(db).get(workspaceId, repairId);
    expect(repair).toMatchObject({ status: 'failed', validation: { passed: false } });
    expect(repair.error).toMatch(/replaying the failing run still fails/);
    expect(await eventsOf(workspaceId, runId)).toEqual([
      'run.queued',
      'run.running',
      'run.repairing',
      'repair.proposed',
      'repair.validated',
      'run.action_needed',
    ]);
    expect(await db.inboxItem.findMany({ where: { runId } })).toMatchObject([
      {
        kind: 'repair_failed',
        title: 'Repair candidate failed validation',
        evidence: { repairId, validation: { passed: false, failingReplay: 'failed' } },
      },
    ]);
  });

  it('a run that stopped waiting (cancelled) fails the repair without asking the provider', async () => {
    const { workspaceId, runId, repairId } = await failingRun('repair_cancelled');
    await testEngine.engine.cancel({ workspaceId, runId }, { by: null, reason: 'no longer needed' });
    const provider = new StandInProvider();
    await repairService(provider).process(workspaceId, repairId);
    expect(provider.requests).toHaveLength(0);
    expect(await new RepairsRepository(db).get(workspaceId, repairId)).toMatchObject({
      status: 'failed',
      error: 'the run is no longer waiting for this repair',
    });
    expect((await new RunsRepository(db).get(workspaceId, runId)).status).toBe('cancelled');
  });

  it('two deliveries of one job at once deploy one version', async () => {
    const { workspaceId, automationId, runId, repairId } = await failingRun('repair_twice');
    const repairs = new RecordingRepairs(db);
    await Promise.all([
      repairService(new StandInProvider(), { repairs }).process(workspaceId, repairId),
      repairService(new StandInProvider(), { repairs }).process(workspaceId, repairId),
    ]);
    expect(await statusOf(workspaceId, repairId)).toBe('deployed');
    expect(repairs.moves.filter((m) => m === 'validated→deployed')).toHaveLength(1);
    expect(await db.automationVersion.count({ where: { automationId, createdByKind: 'repair' } })).toBe(1);
    expect((await eventsOf(workspaceId, runId)).filter((e) => e === 'repair.deployed')).toHaveLength(1);
  });
});

// Last in the file: tracing is installed here and stays on for the rest of this process.
describe('the repair loop traced', () => {
  it("continues the failed attempt's trace through the repair job: its consumer span and one span per step", async () => {
    const exporter = new InMemorySpanExporter();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
    // The failing attempt runs (and hands its run to the repair loop) inside a span of the test.
    const { workspaceId, runId, repairId } = await inSpan('test', {}, () => failingRun('repair_traced'));
    const job = await testEngine.queues.repairs.getJob(repairJobId(repairId));
    expect(job?.data.trace?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await new RepairProcessor(repairService(new StandInProvider())).process(job!);
    expect(await statusOf(workspaceId, repairId)).toBe('deployed');

    const spans = exporter.getFinishedSpans();
    const named = (name: string) => spans.filter((s) => s.name === name);
    const root = named('test')[0]!;
    expect(spans.every((s) => s.spanContext().traceId === root.spanContext().traceId)).toBe(true);
    const publish = named('publish repairs');
    expect(publish).toHaveLength(1);
    // Enqueued by the failed attempt (the second run of failingRun), the consumer its child.
    const failedAttempt = spans.find(
      (s) => s.name === 'run.attempt' && s.attributes['mendflow.run.id'] === runId,
    )!;
    expect(publish[0]!.parentSpanContext?.spanId).toBe(failedAttempt.spanContext().spanId);
    const consume = named('process repairs');
    expect(consume).toHaveLength(1);
    expect(consume[0]!.parentSpanContext?.spanId).toBe(publish[0]!.spanContext().spanId);
    expect(consume[0]!.attributes).toMatchObject({ 'mendflow.repair.id': repairId });
    const steps = spans.filter((s) => s.name.startsWith('repair.'));
    expect(steps.map((s) => s.name)).toEqual(['repair.propose', 'repair.validate', 'repair.decide']);
    for (const step of steps) {
      expect(step.parentSpanContext?.spanId, step.name).toBe(consume[0]!.spanContext().spanId);
      expect(step.attributes).toMatchObject({ 'mendflow.repair.id': repairId, 'mendflow.run.id': runId });
    }
    // The run resumes on the new version: its next attempt is enqueued inside the repair's trace.
    const resumed = named('publish runs').filter((s) => s.attributes['mendflow.run.id'] === runId);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    // No script source, input or candidate in any span.
    const attributes = JSON.stringify(spans.map((s) => s.attributes));
    expect(attributes).not.toContain('contact');
    expect(attributes).not.toContain('example.com');
  });
});
