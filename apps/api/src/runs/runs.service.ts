import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCodes, RUN_PRIORITY, runConcurrency, type StartRunBody } from '@mendflow/common';
import { AutomationsRepository, type RunFilters, RunsRepository } from '@mendflow/db';
import { LiveEventsPublisher } from '@mendflow/events';
import type { Principal } from '../auth/principal';
import { RunInputValidator } from './run-input.validator';
import { RunQueue } from './run-queue.service';

@Injectable()
export class RunsService {
  constructor(
    private readonly automations: AutomationsRepository,
    private readonly runs: RunsRepository,
    private readonly queue: RunQueue,
    private readonly live: LiveEventsPublisher,
    private readonly inputs: RunInputValidator,
  ) {}

  /** Records the run, then enqueues it; the same idempotency key returns the same run. */
  async start(principal: Principal, automationId: string, body: StartRunBody) {
    const automation = await this.automations.get(principal.workspaceId, automationId);
    if (automation.status === 'paused') {
      throw new DomainError(
        ErrorCodes.AUTOMATION_PAUSED,
        'conflict',
        `automation ${automation.name} is paused`,
      );
    }
    if (!automation.deployedVersion) {
      throw new DomainError(
        ErrorCodes.AUTOMATION_NOT_FOUND,
        'not_found',
        'automation has no deployed version',
      );
    }
    const { manifest } = automation.deployedVersion;
    this.inputs.check(manifest.inputSchema, body.input ?? null);
    const priority = body.priority ?? RUN_PRIORITY.default;
    const { run, created } = await this.runs.createQueued(principal.workspaceId, {
      automationId,
      versionId: automation.deployedVersion.id,
      trigger: principal.via === 'session' ? 'manual' : 'api',
      input: body.input ?? null,
      idempotencyKey: body.idempotencyKey,
      priority,
      concurrency: runConcurrency(manifest.concurrency, body.input ?? null),
    });
    if (created) {
      // createQueued appended the run's first event (seq 1) in the same statement; published before the
      // enqueue so dashboards usually see it before the worker's run.running (they order by seq anyway).
      const { id: runId, workspaceId } = run;
      this.live.publishRunEvent({
        runId,
        workspaceId,
        automationId,
        seq: 1,
        type: 'run.queued',
        data: { trigger: run.trigger },
        createdAt: run.createdAt,
      });
      this.live.publishRunStatus({ runId, workspaceId, automationId, status: 'queued' });
      await this.queue.enqueue(
        { runId: run.id, workspaceId: run.workspaceId, automationId, attempt: 1 },
        run.priority,
      );
    }
    return run;
  }

  list(principal: Principal, filters: RunFilters, page: { limit: number; cursor?: string }) {
    return this.runs.list(principal.workspaceId, filters, page);
  }

  async get(principal: Principal, id: string) {
    const run = await this.runs.get(principal.workspaceId, id);
    const attempts = await this.runs.listAttempts(principal.workspaceId, id);
    return { run, attempts };
  }

  events(principal: Principal, id: string, afterSeq: number) {
    return this.runs.listEvents(principal.workspaceId, id, afterSeq);
  }

  logs(principal: Principal, id: string) {
    return this.runs.listLogs(principal.workspaceId, id);
  }
}
