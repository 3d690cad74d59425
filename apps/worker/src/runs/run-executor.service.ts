import { Injectable, Logger } from '@nestjs/common';
import { RunExecutionRepository } from '@mendflow/db';
import type { RunJobPayload } from '@mendflow/queue';
import { LiveEventsPublisher } from '@mendflow/events';
import { WorkerMetrics } from '../health/worker-metrics';
import { AttemptSettler } from './attempt-settler.service';
import { CancellationService } from './cancellation.service';
import { HostServicesFactory } from './host-services.factory';
import { SandboxHost } from './sandbox.provider';

/**
 * One attempt of one run: start it in PostgreSQL (which also tells us whether it should run at all),
 * run it in the sandbox, settle the outcome. Safe to call twice for the same job: the conditional
 * updates make the second call a no-op.
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
  ) {}

  async execute(job: RunJobPayload): Promise<void> {
    // Listen for a cancel before the run is marked running, so none can slip in between.
    const tracked = this.cancellation.track(job.runId);
    try {
      const started = await this.execution.beginAttempt(job.workspaceId, job.runId);
      if (!started) {
        this.logger.debug(`run ${job.runId} is not startable any more; job ignored`);
        return;
      }
      const { runId, workspaceId, automationId } = started;
      for (const event of started.events) this.live.publishRunEvent({ ...event, automationId });
      this.live.publishRunStatus({ runId, workspaceId, automationId, status: 'running' });
      const result = await this.sandboxHost.sandbox.runAttempt({
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
        signal: tracked.signal,
      });
      const { transition, outcome } = await this.settler.settle(started, result);
      this.metrics.attempts.inc({ outcome });
      this.metrics.attemptWall.observe(result.cost.wallMs / 1000);
      this.live.publishTransition(transition);
    } finally {
      tracked.done();
    }
  }
}
