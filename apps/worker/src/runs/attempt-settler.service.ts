import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { RunError } from '@mendflow/common';
import {
  type AttemptOutcome,
  RepairsRepository,
  RunExecutionRepository,
  type StartedAttempt,
  type TransitionResult,
} from '@mendflow/db';
import { classifyFailure } from '@mendflow/failure';
import { QueueNames, repairJob, runJob } from '@mendflow/queue';
import type { AttemptError, AttemptResult } from '@mendflow/sandbox';
import type { Queue } from 'bullmq';
import { decideNextStep } from '../failures/failure-policy';
import { RepairBudget } from '../repairs/repair-budget.service';

export interface SettledAttempt {
  transition: TransitionResult | null;
  /** `succeeded`, `cancelled`, or the failure class. */
  outcome: string;
}

/**
 * Turns what an attempt left behind into the run's next state, in one statement: succeeded; or the
 * failure is classified and the run is retried with backoff, handed to the repair loop, or paused in
 * the inbox. Work for later (the retry's delayed job, the repair job) is enqueued after the state is
 * stored, so a crash in between leaves a state the reconciler can pick up, never a lost run.
 */
@Injectable()
export class AttemptSettler {
  private readonly logger = new Logger('AttemptSettler');

  constructor(
    private readonly execution: RunExecutionRepository,
    private readonly repairs: RepairsRepository,
    private readonly budget: RepairBudget,
    @InjectQueue(QueueNames.runs) private readonly runQueue: Queue,
    @InjectQueue(QueueNames.repairs) private readonly repairQueue: Queue,
  ) {}

  async settle(started: StartedAttempt, result: AttemptResult): Promise<SettledAttempt> {
    const { workspaceId, runId, attempt } = started;
    const error = result.error ? toRunError(result.error) : undefined;
    const outcome: AttemptOutcome = {
      status: result.status,
      output: result.status === 'succeeded' ? (result.output ?? null) : undefined,
      error,
      logs: result.logs,
      recording: result.recording,
      cost: result.cost,
    };
    const cost = {
      wallMs: round(result.cost.wallMs),
      cpuMs: round(result.cost.cpuMs),
      fetches: result.cost.fetches,
    };

    if (result.status === 'succeeded') {
      const transition = await this.execution.transition(workspaceId, runId, {
        from: ['running'],
        to: 'succeeded',
        attempt: { number: attempt, outcome },
        output: outcome.output,
        error: null,
        event: { type: 'run.succeeded', data: { attempt, ...cost } },
      });
      return this.closeIfMoot(started, outcome, transition, 'succeeded');
    }

    if (result.error?.code === 'SANDBOX_CLOSED') {
      // This worker is shutting down mid-attempt: hand the run back to the queue, to start over elsewhere.
      const transition = await this.execution.transition(workspaceId, runId, {
        from: ['running'],
        to: 'queued',
        attempt: { number: attempt, outcome },
        event: {
          type: 'attempt.abandoned',
          data: { attempt, reason: 'the worker shut down during the attempt; queued again' },
        },
      });
      if (transition) {
        const job = runJob(
          { runId, workspaceId, automationId: started.automationId, attempt: attempt + 1 },
          started.priority,
        );
        await this.runQueue.add(job.name, job.data, job.opts);
      }
      return { transition, outcome: 'abandoned' };
    }
    if (result.error?.limit === 'cancelled') {
      // Not a failure to classify: the run was cancelled while this attempt ran.
      return this.closeIfMoot(started, outcome, null, 'cancelled');
    }
    const attemptError: AttemptError = result.error ?? {
      name: 'Error',
      message: 'the attempt failed without an error',
    };
    const failure = toRunError(attemptError);
    const classification = classifyFailure({
      error: attemptError,
      recording: result.recording,
      attempt,
      cost: { wallMs: result.cost.wallMs, cpuMs: result.cost.cpuMs },
    });
    const repair =
      classification.class === 'logic'
        ? await this.budget.check(workspaceId, started.automationId, started.manifest)
        : ({ allowed: false, reason: 'not a logic failure' } as const);
    const step = decideNextStep({ classification, attempt, manifest: started.manifest, repair });
    const summary = { class: classification.class, reason: classification.reason };
    const base = {
      attempt,
      error: { name: failure.name, message: failure.message },
      classification: summary,
      ...cost,
    };
    const closing = { number: attempt, outcome, classification };

    if (step.kind === 'retry') {
      const nextAttemptAt = new Date(Date.now() + step.delayMs);
      const transition = await this.execution.transition(workspaceId, runId, {
        from: ['running'],
        to: 'retry_scheduled',
        attempt: closing,
        error: failure,
        nextAttemptAt,
        event: {
          type: 'run.retry_scheduled',
          data: { ...base, delayMs: Math.round(step.delayMs), nextAttemptAt: nextAttemptAt.toISOString() },
        },
      });
      if (transition) {
        const job = runJob(
          { runId, workspaceId, automationId: started.automationId, attempt: attempt + 1 },
          started.priority,
          step.delayMs,
        );
        await this.runQueue.add(job.name, job.data, job.opts);
      }
      return this.closeIfMoot(started, outcome, transition, classification.class);
    }

    if (step.kind === 'repair') {
      const record = await this.repairs.create(workspaceId, {
        automationId: started.automationId,
        runId,
        attempt,
        baseVersionId: started.versionId,
        provider: this.budget.providerName,
      });
      const transition = await this.execution
        .transition(workspaceId, runId, {
          from: ['running'],
          to: 'repairing',
          attempt: closing,
          error: failure,
          event: { type: 'run.repairing', data: { ...base, repairId: record.id, provider: record.provider } },
        })
        .catch(async (error: unknown) => {
          // The run never reached repairing (the executor settles it again without what was refused):
          // a repair left pending would count against the budget and never run.
          await this.repairs
            .update(workspaceId, record.id, {
              status: 'failed',
              error: 'the run could not be moved to repairing',
            })
            .catch(() => undefined);
          throw error;
        });
      if (transition) {
        const job = repairJob({ repairId: record.id, workspaceId });
        await this.repairQueue.add(job.name, job.data, job.opts);
      } else {
        await this.repairs.update(workspaceId, record.id, {
          status: 'failed',
          error: 'the run moved on before the repair started',
        });
      }
      return this.closeIfMoot(started, outcome, transition, classification.class);
    }

    const transition = await this.execution.transition(workspaceId, runId, {
      from: ['running'],
      to: 'action_needed',
      attempt: closing,
      error: failure,
      inbox: step.inbox,
      event: {
        type: 'run.action_needed',
        data: { ...base, inboxKind: step.inbox.kind, title: step.inbox.title, reason: step.inbox.reason },
      },
    });
    return this.closeIfMoot(started, outcome, transition, classification.class);
  }

  /** The run moved on while the attempt ran (cancelled): record the attempt anyway, change nothing else. */
  private async closeIfMoot(
    started: StartedAttempt,
    outcome: AttemptOutcome,
    transition: TransitionResult | null,
    result: string,
  ): Promise<SettledAttempt> {
    if (!transition) {
      await this.execution.closeAttempt(started.workspaceId, started.runId, started.attempt, outcome);
      this.logger.debug(
        `run ${started.runId} moved on during attempt ${started.attempt}; attempt recorded only`,
      );
    }
    return { transition, outcome: result };
  }
}

export function toRunError(error: AttemptError): RunError {
  return {
    name: error.name,
    message: error.message,
    ...(error.code && { code: error.code }),
    ...(error.location && { location: error.location }),
    ...(error.stack && { stack: error.stack }),
    ...(error.limit && { limit: error.limit }),
  };
}

const round = (value: number) => Math.round(value * 100) / 100;
