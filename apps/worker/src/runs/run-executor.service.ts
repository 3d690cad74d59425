import { Injectable, Logger } from '@nestjs/common';
import { addLogContext, storableText } from '@mendflow/common';
import {
  type BlockedAttempt,
  describeDatabaseError,
  isBlocked,
  isDatabaseUnavailable,
  loggableError,
  type StartedAttempt,
} from '@mendflow/db';
import { RunEngine } from '@mendflow/engine';
import type { RunJobPayload } from '@mendflow/queue';
import type { AttemptResult, AttemptResume } from '@mendflow/sandbox';
import { FAILURE_CLASSES } from '@mendflow/contracts';
import { inSpan, runAttributes } from '@mendflow/telemetry';
import { sandboxOverheadSeconds, WorkerMetrics } from '../health/worker-metrics';
import { AttemptSettler, type SettledAttempt } from './attempt-settler.service';
import { CancellationService } from './cancellation.service';
import { sandboxFailure, scriptCompileFailure, storageRejected } from './fallback-outcomes';
import { HostServicesFactory } from './host-services.factory';
import { RunnableScripts } from './runnable-scripts';
import { SandboxHost } from './sandbox.provider';

/**
 * One attempt of one run: start it in PostgreSQL (which also tells us whether it should run at all),
 * run it in the sandbox, settle the outcome. Safe to call twice for the same job: the conditional
 * updates make the second call a no-op.
 *
 * Once an attempt has started, it is settled whatever happens: a sandbox that throws is a failed
 * attempt (SANDBOX_ERROR), and an outcome the database refuses is settled again without the parts
 * it refused (STORAGE_REJECTED). Only an unreachable database escapes to BullMQ; the job is then
 * redelivered or fails, and the next start or the stale-run reconciler ends the open attempt.
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger('RunExecutor');

  constructor(
    private readonly engine: RunEngine,
    private readonly hostServices: HostServicesFactory,
    private readonly sandboxHost: SandboxHost,
    private readonly settler: AttemptSettler,
    private readonly cancellation: CancellationService,
    private readonly metrics: WorkerMetrics,
    private readonly scripts: RunnableScripts,
  ) {}

  /**
   * Returns the run's place in line when its concurrency limit kept it from starting: the job then
   * ends without running anything, and its line is refilled once the job is over (RunProcessor).
   */
  async execute(job: RunJobPayload): Promise<BlockedAttempt | undefined> {
    // Listen for a cancel before the run is marked running, so none can slip in between.
    const tracked = this.cancellation.track(job.runId);
    try {
      const started = await this.engine.begin(job.workspaceId, job.runId);
      if (!started) {
        this.logger.debug(`run ${job.runId} is not startable any more; job ignored`);
        return;
      }
      if (isBlocked(started)) {
        const { ahead, limit } = started.blocked;
        this.logger.debug(`run ${job.runId} waits for a slot (${ahead} ahead, limit ${limit}); job ended`);
        return started;
      }
      addLogContext({ automationId: started.automationId });
      this.logger.debug(`attempt ${started.attempt} of run ${started.runId} started`);
      const { result, outcome, transition } = await inSpan(
        'run.attempt',
        { attributes: runAttributes(started) },
        async (span) => {
          const result = await this.runAttempt(started, tracked.signal);
          const settled = await this.settle(started, result);
          span.setAttribute('mendflow.attempt.outcome', settled.outcome);
          if (settled.transition) span.setAttribute('mendflow.run.status', settled.transition.status);
          return { result, ...settled };
        },
      );
      // One line an attempt: what ended it and where the run went (the run id rides in the context).
      this.logger.log({
        msg: `attempt ${started.attempt} of run ${started.runId} ended: ${outcome}`,
        outcome,
        runStatus: transition?.status ?? null,
        wallMs: Math.round(result.cost.wallMs),
      });
      this.metrics.attempts.inc({ outcome });
      this.metrics.attemptWall.observe(result.cost.wallMs / 1000);
      this.metrics.runTransitions.inc({
        to: transition?.status ?? 'moot',
        failure_class: (FAILURE_CLASSES as readonly string[]).includes(outcome) ? outcome : 'none',
      });
    } finally {
      tracked.done();
    }
  }

  private async runAttempt(started: StartedAttempt, signal: AbortSignal): Promise<AttemptResult> {
    // The version keeps its source as written; a TypeScript one is type-stripped here (once per version,
    // RunnableScripts) rather than stored twice. Stripping keeps every line:column, so the locations of
    // run errors point at the TypeScript.
    const script = this.scripts.of({
      id: started.versionId,
      source: started.source,
      language: started.language,
    });
    if (!script.ok) return scriptCompileFailure(script.diagnostic);
    const source = script.code;
    const began = performance.now();
    try {
      const result = await this.sandboxHost.sandbox.runAttempt({
        source,
        input: started.input,
        manifest: started.manifest,
        run: {
          id: started.runId,
          attempt: started.attempt,
          automationId: started.automationId,
          version: started.versionNumber,
          trigger: started.trigger,
          ...(started.triggerContext?.kind === 'cron' && {
            scheduledAt: started.triggerContext.scheduledAt,
          }),
        },
        host: this.hostServices.forAttempt(started),
        signal,
        ...(started.resume && { resume: resumeOf(started.resume) }),
      });
      const overhead = sandboxOverheadSeconds(performance.now() - began, result.cost.scriptMs);
      if (overhead !== undefined) this.metrics.sandboxOverhead.observe(overhead);
      return result;
    } catch (error) {
      this.logger.error(
        `run ${started.runId}: the sandbox threw during attempt ${started.attempt}: ${loggableError(error)}`,
      );
      return sandboxFailure(error);
    }
  }

  private async settle(started: StartedAttempt, result: AttemptResult): Promise<SettledAttempt> {
    try {
      return await this.settler.settle(started, result);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      // Not the database being away: the statement failed on what it was given (a value PostgreSQL
      // refuses to hold), so the same outcome would fail again on every redelivery.
      const reason =
        describeDatabaseError(error) ??
        storableText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(
          0,
          500,
        );
      this.logger.error(
        `run ${started.runId}: the outcome of attempt ${started.attempt} could not be stored (${reason}); settling it without its result, logs and recording`,
      );
      return this.settler.settle(started, storageRejected(result, reason));
    }
  }
}

/**
 * The sandbox's resume: the waiting attempt's recording, and the answer its wait got (a sleep's answer
 * is stored as `{ slept: true }` for the timeline, but the script's ctx.sleep resolves to nothing).
 */
function resumeOf(resume: NonNullable<StartedAttempt['resume']>): AttemptResume {
  const answer = resume.answer as { slept?: true } | null;
  return {
    recording: resume.recording as AttemptResume['recording'],
    answer: answer?.slept ? undefined : answer,
  };
}
