import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCodes } from '@mendflow/common';
import { RETRYABLE_RUN_STATUSES } from '@mendflow/contracts';
import { AutomationsRepository, RunsRepository, type TransitionResult } from '@mendflow/db';
import { RunEngine } from '@mendflow/engine';
import { AuditTrail } from '../audit/audit-trail.service';
import type { Principal } from '../auth/principal';

/** A person steering a run: cancel it, or run it again on the automation's deployed version. */
@Injectable()
export class RunControlService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly automations: AutomationsRepository,
    private readonly engine: RunEngine,
    private readonly audit: AuditTrail,
  ) {}

  async cancel(
    principal: Principal,
    runId: string,
    reason = 'cancelled on request',
  ): Promise<TransitionResult> {
    const { workspaceId } = principal;
    const run = await this.runs.get(workspaceId, runId);
    const transition = await this.engine.cancel({ workspaceId, runId }, { by: principal.userId, reason });
    if (!transition) {
      throw new DomainError(
        ErrorCodes.RUN_NOT_CANCELLABLE,
        'conflict',
        `run ${runId} is ${run.status} and cannot be cancelled`,
      );
    }
    await this.audit.record(principal, {
      action: 'run.cancelled',
      targetKind: 'run',
      targetId: runId,
      data: { reason },
    });
    return transition;
  }

  /** Queues a new attempt on the currently deployed version (which may fix what failed). */
  async retry(principal: Principal, runId: string, reason = 'retry requested'): Promise<TransitionResult> {
    const { workspaceId } = principal;
    const run = await this.runs.get(workspaceId, runId);
    if (run.trigger === 'exploration') {
      // A snippet an agent ran once (MCP execute, docs/mcp.md): it has no deployed version to run again.
      throw new DomainError(
        ErrorCodes.RUN_NOT_RETRYABLE,
        'conflict',
        `run ${runId} is an exploration run: it runs once; execute the snippet again instead`,
      );
    }
    const automation = await this.automations.get(workspaceId, run.automationId);
    const version = automation.deployedVersion ?? { id: run.versionId, number: run.versionNumber };
    const transition = await this.engine.retry(
      { workspaceId, runId },
      { by: principal.userId, reason },
      version,
    );
    if (!transition) {
      throw new DomainError(
        ErrorCodes.RUN_NOT_RETRYABLE,
        'conflict',
        `run ${runId} is ${run.status}; only ${RETRYABLE_RUN_STATUSES.join(', ')} runs can be retried`,
      );
    }
    await this.audit.record(principal, {
      action: 'run.retried',
      targetKind: 'run',
      targetId: runId,
    });
    return transition;
  }
}
