import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Manifest, RunError } from '@mendflow/common';
import {
  AuditRepository,
  AutomationsRepository,
  deployRepairAndResume,
  type RepairRecord,
  RepairsRepository,
  RunExecutionRepository,
  type TransitionResult,
} from '@mendflow/db';
import { QueueNames, runJob } from '@mendflow/queue';
import type { Recording } from '@mendflow/sandbox';
import { LiveEventsPublisher } from '@mendflow/events';
import type { Queue } from 'bullmq';
import { createTwoFilesPatch } from 'diff';
import { WorkerMetrics } from '../health/worker-metrics';
import { RepairBudget } from './repair-budget.service';
import { CandidateValidator, type ReplayCase, type ValidationReport } from './candidate-validator';
import {
  REPAIR_PROVIDER,
  type RepairProposal,
  type RepairProvider,
  type RepairRequest,
} from './repair-provider';

const MAX_SUCCESSES = 5;
const MAX_CALL_BODY = 2000;

/**
 * The repair loop for one logic failure: ask the provider for a new source, validate it by replay,
 * then deploy it and resume the run — or keep the candidate with why it failed and escalate.
 */
@Injectable()
export class RepairService {
  private readonly logger = new Logger('Repair');

  constructor(
    @Inject(REPAIR_PROVIDER) private readonly provider: RepairProvider,
    private readonly repairs: RepairsRepository,
    private readonly automations: AutomationsRepository,
    private readonly execution: RunExecutionRepository,
    private readonly audit: AuditRepository,
    private readonly validator: CandidateValidator,
    private readonly live: LiveEventsPublisher,
    @InjectQueue(QueueNames.runs) private readonly runQueue: Queue,
    private readonly metrics: WorkerMetrics,
    private readonly budget: RepairBudget,
  ) {}

  async process(workspaceId: string, repairId: string): Promise<void> {
    const repair = await this.repairs.get(workspaceId, repairId);
    if (repair.status !== 'requested') return; // a redelivered job: this repair already ran
    const failing = await this.execution.loadAttemptForRepair(workspaceId, repair.runId, repair.attempt);
    if (!failing || failing.run.status !== 'repairing') {
      await this.repairs.update(workspaceId, repair.id, {
        status: 'failed',
        error: 'the run is no longer waiting for this repair',
      });
      return;
    }
    const automation = await this.automations.get(workspaceId, repair.automationId);
    const manifest = failing.version.manifest as unknown as Manifest;
    const error = (failing.error ?? { name: 'Error', message: 'unknown' }) as unknown as RunError;
    const recording = (failing.recording ?? { version: 1, calls: [] }) as unknown as Recording;
    const classification = (failing.classification ?? {}) as { class?: string; reason?: string };
    const successes = (
      await this.execution.recentSuccesses(workspaceId, repair.automationId, MAX_SUCCESSES + 1)
    )
      .filter((s) => s.runId !== repair.runId)
      .slice(0, MAX_SUCCESSES)
      .map((s): ReplayCase => ({
        runId: s.runId,
        input: s.run.input,
        output: s.output,
        recording: s.recording as unknown as Recording,
      }));

    const request: RepairRequest = {
      automation: { id: automation.id, name: automation.name },
      version: failing.version.number,
      source: failing.version.source,
      manifest,
      error: { ...pick(error), sourceLine: sourceLineOf(failing.version.source, error.location) },
      classification: {
        class: classification.class ?? 'logic',
        reason: classification.reason ?? error.message,
      },
      input: failing.run.input,
      hostCalls: summarizeCalls(recording),
      recentSuccesses: successes.map((s) => ({ input: s.input, output: s.output })),
    };

    let proposal: RepairProposal;
    try {
      proposal = await this.provider.propose(request, AbortSignal.timeout(10 * 60_000));
    } catch (cause) {
      const usage = (cause as { usage?: { promptTokens: number; completionTokens: number } }).usage;
      const message = `the ${this.provider.name} repair provider failed: ${(cause as Error).message}`;
      await this.repairs.update(workspaceId, repair.id, {
        status: 'failed',
        error: message,
        ...usage,
        ...(usage && { costUsd: this.budget.costOf(usage) }),
      });
      this.metrics.repairs.inc({ result: 'failed' });
      await this.escalate(workspaceId, repair, 'Repair failed', message, { repairId: repair.id });
      return;
    }

    const diff = createTwoFilesPatch(
      'script.js',
      'script.js',
      failing.version.source,
      proposal.source,
      `version ${failing.version.number}`,
      'repair candidate',
    );
    await this.repairs.update(workspaceId, repair.id, {
      status: 'validating',
      model: proposal.model ?? null,
      candidateSource: proposal.source,
      diff,
      explanation: proposal.explanation,
      prompt: proposal.prompt,
      answer: proposal.answer,
      promptTokens: proposal.promptTokens,
      completionTokens: proposal.completionTokens,
      costUsd: this.budget.costOf(proposal),
    });
    await this.appendEvent(workspaceId, repair, 'repair.proposed', {
      repairId: repair.id,
      provider: this.provider.name,
      model: proposal.model ?? null,
      explanation: proposal.explanation,
      tokens: proposal.promptTokens + proposal.completionTokens,
    });
    await this.audit.record(workspaceId, {
      actorKind: 'repair',
      actorId: repair.id,
      action: 'repair.proposed',
      targetKind: 'run',
      targetId: repair.runId,
      data: { provider: this.provider.name, model: proposal.model ?? null },
    });

    const report = await this.validator.validate({
      candidate: proposal.source,
      manifest,
      run: {
        id: repair.runId,
        attempt: repair.attempt,
        automationId: repair.automationId,
        version: failing.version.number,
        trigger: 'repair',
      },
      failing: { runId: repair.runId, input: failing.run.input, recording },
      successes,
    });
    await this.repairs.update(workspaceId, repair.id, { validation: report });
    await this.appendEvent(workspaceId, repair, 'repair.validated', validationSummary(repair.id, report));

    if (!report.passed) {
      await this.repairs.update(workspaceId, repair.id, {
        status: 'failed',
        error: report.reason ?? 'validation failed',
      });
      this.metrics.repairs.inc({ result: 'failed' });
      await this.escalate(
        workspaceId,
        repair,
        'Repair candidate failed validation',
        report.reason ?? 'validation failed',
        {
          repairId: repair.id,
          validation: validationSummary(repair.id, report),
        },
      );
      return;
    }

    if (manifest.repair.requireApproval) {
      await this.repairs.update(workspaceId, repair.id, { status: 'awaiting_approval' });
      this.metrics.repairs.inc({ result: 'awaiting_approval' });
      const transition = await this.execution.transition(workspaceId, repair.runId, {
        from: ['repairing'],
        to: 'action_needed',
        inbox: {
          kind: 'repair_approval',
          title: 'Approve a repair',
          reason: proposal.explanation || 'a validated repair is ready to deploy',
          evidence: { repairId: repair.id, diff, validation: validationSummary(repair.id, report) },
          actions: ['approve', 'reject', 'cancel'],
          repairId: repair.id,
        },
        event: {
          type: 'run.action_needed',
          data: { repairId: repair.id, inboxKind: 'repair_approval', title: 'Approve a repair' },
        },
      });
      this.live.publishTransition(transition);
      return;
    }

    const fresh = await this.repairs.get(workspaceId, repair.id);
    const { version, transition } = await deployRepairAndResume(
      { automations: this.automations, repairs: this.repairs, audit: this.audit, execution: this.execution },
      workspaceId,
      fresh,
      { from: 'repairing' },
    );
    this.metrics.repairs.inc({ result: 'deployed' });
    this.logger.log(
      `repair ${repair.id} deployed version ${version.number} of ${automation.name}; resuming run ${repair.runId}`,
    );
    await this.resume(transition);
  }

  private async resume(transition: TransitionResult | null): Promise<void> {
    this.live.publishTransition(transition);
    if (!transition) return;
    const job = runJob(
      {
        runId: transition.runId,
        workspaceId: transition.workspaceId,
        automationId: transition.automationId,
        attempt: transition.attemptCount + 1,
      },
      transition.priority,
    );
    await this.runQueue.add(job.name, job.data, job.opts);
  }

  private async escalate(
    workspaceId: string,
    repair: RepairRecord,
    title: string,
    reason: string,
    evidence: Record<string, unknown>,
  ) {
    const transition = await this.execution.transition(workspaceId, repair.runId, {
      from: ['repairing'],
      to: 'action_needed',
      inbox: {
        kind: 'repair_failed',
        title,
        reason,
        evidence,
        actions: ['retry', 'cancel'],
        repairId: repair.id,
      },
      event: {
        type: 'run.action_needed',
        data: { repairId: repair.id, inboxKind: 'repair_failed', title, reason },
      },
    });
    this.live.publishTransition(transition);
  }

  private async appendEvent(
    workspaceId: string,
    repair: RepairRecord,
    type: string,
    data: Record<string, unknown>,
  ) {
    const event = await this.execution.appendEvent(workspaceId, repair.runId, type, data);
    if (event) this.live.publishRunEvent({ ...event, automationId: repair.automationId });
  }
}

function pick(error: RunError) {
  return { name: error.name, message: error.message, location: error.location, stack: error.stack };
}

/** The line of the user's script the error points at, so the provider sees it without counting. */
function sourceLineOf(source: string, location?: string): string | undefined {
  const line = Number(/:(\d+):\d+$/.exec(location ?? '')?.[1]);
  return Number.isInteger(line) && line > 0 ? source.split('\n')[line - 1]?.trim() : undefined;
}

function summarizeCalls(recording: Recording): unknown[] {
  return recording.calls.slice(-50).map((call) =>
    call.kind === 'fetch'
      ? {
          kind: 'fetch',
          request: call.request,
          status: call.response?.status,
          body: call.response?.body.slice(0, MAX_CALL_BODY),
          error: call.error,
        }
      : call,
  );
}

function validationSummary(repairId: string, report: ValidationReport) {
  return {
    repairId,
    passed: report.passed,
    reason: report.reason ?? null,
    lintOk: report.lint.ok,
    failingReplay: report.failingReplay?.status ?? 'not run',
    regressionsChecked: report.regressions.length,
    regressionsBroken: report.regressions.filter((r) => !r.sameOutput).length,
  };
}
