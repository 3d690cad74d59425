import { Injectable, Logger } from '@nestjs/common';
import type { RunError } from '@mendflow/common';
import { RunExecutionRepository } from '@mendflow/db';
import type { RunJobPayload } from '@mendflow/queue';
import type { AttemptError, AttemptResult } from '@mendflow/sandbox';
import { HostServicesFactory } from './host-services.factory';
import { SandboxHost } from './sandbox.provider';

/**
 * One attempt of one run: start it in PostgreSQL (which also tells us whether it should run at all),
 * run it in the sandbox, record the outcome. Safe to call twice for the same job: the conditional
 * updates make the second call a no-op.
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger('RunExecutor');

  constructor(
    private readonly execution: RunExecutionRepository,
    private readonly hostServices: HostServicesFactory,
    private readonly sandboxHost: SandboxHost,
  ) {}

  async execute(job: RunJobPayload): Promise<void> {
    const started = await this.execution.beginAttempt(job.workspaceId, job.runId);
    if (!started) {
      this.logger.debug(`run ${job.runId} is not startable any more; job ignored`);
      return;
    }
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
    });
    await this.execution.finishAttempt(started.workspaceId, started.runId, started.attempt, {
      status: result.status,
      output: result.status === 'succeeded' ? (result.output ?? null) : undefined,
      error: result.error ? toRunError(result.error) : undefined,
      logs: result.logs,
      recording: result.recording,
      cost: result.cost,
    });
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

export type { AttemptResult };
