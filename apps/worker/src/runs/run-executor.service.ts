import { Injectable, Logger } from '@nestjs/common';
import { storableText } from '@mendflow/common';
import {
  type BlockedAttempt,
  describeDatabaseError,
  isBlocked,
  isDatabaseUnavailable,
  RunExecutionRepository,
  type StartedAttempt,
} from '@mendflow/db';
import type { RunJobPayload } from '@mendflow/queue';
import { LiveEventsPublisher } from '@mendflow/events';
import type { AttemptResult } from '@mendflow/sandbox';
import { WorkerMetrics } from '../health/worker-metrics';
import { AttemptSettler, type SettledAttempt } from './attempt-settler.service';
import { CancellationService } from './cancellation.service';
import { sandboxFailure, storageRejected } from './fallback-outcomes';
import { HostServicesFactory } from './host-services.factory';
import { SandboxHost } from './sandbox.provider';
import { SlotRefill } from './slot-refill.service';

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
    private readonly execution: RunExecutionRepository,
    private readonly hostServices: HostServicesFactory,
    private readonly sandboxHost: SandboxHost,
    private readonly settler: AttemptSettler,
    private readonly cancellation: CancellationService,
    private readonly live: LiveEventsPublisher,
    private readonly metrics: WorkerMetrics,
    private readonly slots: SlotRefill,
  ) {}

  /**
   * Returns the run's place in line when its concurrency limit kept it from starting: the job then
   * ends without running anything, and its line is refilled once the job is over (RunProcessor).
   */
  async execute(job: RunJobPayload): Promise<BlockedAttempt | undefined> {
    // Listen for a cancel before the run is marked running, so none can slip in between.
    const tracked = this.cancellation.track(job.runId);
    try {
      const started = await this.execution.beginAttempt(job.workspaceId, job.runId);
      if (!started) {
        this.logger.debug(`run ${job.runId} is not startable any more; job ignored`);
        return;
      }
      if (isBlocked(started)) {
        const { ahead, limit } = started.blocked;
        this.logger.debug(`run ${job.runId} waits for a slot (${ahead} ahead, limit ${limit}); job ended`);
        return started;
      }
      const { runId, workspaceId, automationId } = started;
      for (const event of started.events) this.live.publishRunEvent({ ...event, automationId });
      this.live.publishRunStatus({ runId, workspaceId, automationId, status: 'running' });
      const result = await this.runAttempt(started, tracked.signal);
      const { transition, outcome } = await this.settle(started, result);
      this.metrics.attempts.inc({ outcome });
      this.metrics.attemptWall.observe(result.cost.wallMs / 1000);
      this.live.publishTransition(transition);
      // The run left running: its slot is free, so the next run in its line gets a job.
      await this.slots.afterRun(started);
    } finally {
      tracked.done();
    }
  }

  private async runAttempt(started: StartedAttempt, signal: AbortSignal): Promise<AttemptResult> {
    try {
      return await this.sandboxHost.sandbox.runAttempt({
        source: started.source,
        input: started.input,
        manifest: started.manifest,
        run: {
          id: started.runId,
          attempt: started.attempt,
          automationId: started.automationId,
          version: started.versionNumber,
          trigger: started.trigger,
        },
        host: this.hostServices.forAttempt(started),
        signal,
      });
    } catch (error) {
      this.logger.error(
        `run ${started.runId}: the sandbox threw during attempt ${started.attempt}: ${String(error)}`,
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
