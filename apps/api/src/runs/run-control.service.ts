import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type RunStatus } from '@mendflow/common';
import {
  AutomationsRepository,
  InboxRepository,
  RunExecutionRepository,
  RunsRepository,
  type TransitionResult,
} from '@mendflow/db';
import { CANCEL_CHANNEL } from '@mendflow/queue';
import { LiveEventsPublisher } from '@mendflow/events';
import type { Redis } from 'ioredis';
import { AuditTrail } from '../audit/audit-trail.service';
import type { Principal } from '../auth/principal';
import { REDIS } from '../redis/redis.module';
import { RunQueue } from './run-queue.service';

const CANCELLABLE: RunStatus[] = [
  'queued',
  'running',
  'retry_scheduled',
  'repairing',
  'waiting',
  'action_needed',
];
const RETRYABLE: RunStatus[] = ['failed', 'cancelled', 'action_needed'];

/** A person steering a run: cancel it, or run it again on the automation's deployed version. */
@Injectable()
export class RunControlService {
  constructor(
    private readonly runs: RunsRepository,
    private readonly execution: RunExecutionRepository,
    private readonly automations: AutomationsRepository,
    private readonly inbox: InboxRepository,
    private readonly audit: AuditTrail,
    private readonly queue: RunQueue,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly live: LiveEventsPublisher,
  ) {}

  async cancel(
    principal: Principal,
    runId: string,
    reason = 'cancelled on request',
  ): Promise<TransitionResult> {
    const { workspaceId } = principal;
    const run = await this.runs.get(workspaceId, runId);
    const transition = await this.execution.transition(workspaceId, runId, {
      from: CANCELLABLE,
      to: 'cancelled',
      nextAttemptAt: null,
      event: { type: 'run.cancelled', data: { by: principal.userId, reason } },
    });
    if (!transition) {
      throw new DomainError(
        'RUN_NOT_CANCELLABLE',
        'conflict',
        `run ${runId} is ${run.status} and cannot be cancelled`,
      );
    }
    this.live.publishTransition(transition);
    // The worker running it (if any) aborts the attempt at once; queued jobs find it cancelled and skip.
    await this.redis.publish(CANCEL_CHANNEL, runId);
    await this.queue.refill(transition);
    await this.inbox.resolveOpenForRun(workspaceId, runId, { action: 'cancel', by: principal.userId });
    await this.audit.record(principal, {
      action: 'run.cancelled',
      targetKind: 'run',
      targetId: runId,
    });
    return transition;
  }

  /** Queues a new attempt on the currently deployed version (which may fix what failed). */
  async retry(principal: Principal, runId: string, reason = 'retry requested'): Promise<TransitionResult> {
    const { workspaceId } = principal;
    const run = await this.runs.get(workspaceId, runId);
    const automation = await this.automations.get(workspaceId, run.automationId);
    const versionId = automation.deployedVersion?.id ?? run.versionId;
    const transition = await this.execution.transition(workspaceId, runId, {
      from: RETRYABLE,
      to: 'queued',
      versionId,
      nextAttemptAt: null,
      event: {
        type: 'run.queued',
        data: {
          by: principal.userId,
          reason,
          version: automation.deployedVersion?.number ?? run.versionNumber,
        },
      },
    });
    if (!transition) {
      throw new DomainError(
        'RUN_NOT_RETRYABLE',
        'conflict',
        `run ${runId} is ${run.status}; only failed, cancelled or action-needed runs can be retried`,
      );
    }
    this.live.publishTransition(transition);
    await this.inbox.resolveOpenForRun(workspaceId, runId, { action: 'retry', by: principal.userId });
    await this.audit.record(principal, {
      action: 'run.retried',
      targetKind: 'run',
      targetId: runId,
    });
    await this.queue.enqueue(
      {
        runId,
        workspaceId,
        automationId: transition.automationId,
        attempt: transition.attemptCount + 1,
      },
      transition.priority,
    );
    return transition;
  }
}
