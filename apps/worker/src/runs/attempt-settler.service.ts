import { Injectable, Logger } from '@nestjs/common';
import type { RunError } from '@mendflow/common';
import {
  type AttemptOutcome,
  RepairsRepository,
  RunExecutionRepository,
  type StartedAttempt,
  type TransitionResult,
} from '@mendflow/db';
import { type FailedAttempt, RunEngine } from '@mendflow/engine';
import { classifyFailure } from '@mendflow/failure';
import type { AttemptError, AttemptResult } from '@mendflow/sandbox';
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
 * the inbox (an exploration run just fails). The engine makes each change (and enqueues what follows); this decides which.
 */
@Injectable()
export class AttemptSettler {
  private readonly logger = new Logger('AttemptSettler');

  constructor(
    private readonly engine: RunEngine,
    private readonly execution: RunExecutionRepository,
    private readonly repairs: RepairsRepository,
    private readonly budget: RepairBudget,
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
      const transition = await this.engine.succeed(started, outcome, cost);
      return this.closeIfMoot(started, outcome, transition, 'succeeded');
    }

    if (result.status === 'waiting' && result.wait) {
      // The script waits for an approval or a time: the attempt ends here and the slot is free.
      const transition = await this.engine.wait(started, outcome, result.wait);
      return this.closeIfMoot(started, outcome, transition, 'waiting');
    }

    if (result.error?.code === 'SANDBOX_CLOSED') {
      // This worker is shutting down mid-attempt: hand the run back to the queue, to start over elsewhere.
      const transition = await this.engine.requeue(
        started,
        outcome.error ?? SHUTDOWN_ERROR,
        'the worker shut down during the attempt; queued again',
      );
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
    const exploration = started.trigger === 'exploration';
    const repair =
      classification.class === 'logic' && !exploration
        ? await this.budget.check(workspaceId, started.automationId, started.manifest)
        : ({ allowed: false, reason: 'not a logic failure' } as const);
    const step = decideNextStep({ classification, attempt, manifest: started.manifest, repair });
    const failed: FailedAttempt = {
      closing: { number: attempt, outcome, classification },
      error: failure,
      facts: {
        attempt,
        error: { name: failure.name, message: failure.message },
        classification: { class: classification.class, reason: classification.reason },
        ...cost,
      },
    };

    if (exploration) {
      // A snippet an agent runs once (MCP execute): it reports its classification and ends; the agent
      // is the one who retries or fixes it.
      const transition = await this.engine.fail(started, failed);
      return this.closeIfMoot(started, outcome, transition, classification.class);
    }

    if (step.kind === 'retry') {
      const transition = await this.engine.scheduleRetry(started, failed, step.delayMs);
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
      const transition = await this.engine
        .startRepair(started, failed, { id: record.id, provider: record.provider })
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
      if (!transition) {
        await this.repairs.update(workspaceId, record.id, {
          status: 'failed',
          error: 'the run moved on before the repair started',
        });
      }
      return this.closeIfMoot(started, outcome, transition, classification.class);
    }

    const transition = await this.engine.escalate(
      started,
      step.inbox,
      { reason: step.inbox.reason },
      { failed },
    );
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
      await this.engine.attemptClosed(started);
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

const SHUTDOWN_ERROR: RunError = {
  name: 'WorkerShutdown',
  message: 'the worker shut down during the attempt',
};

const round = (value: number) => Math.round(value * 100) / 100;
