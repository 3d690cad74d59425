import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCodes, RUN_PRIORITY, runConcurrency, type StartRunBody } from '@mendflow/common';
import { AutomationsRepository, type RunFilters, RunsRepository } from '@mendflow/db';
import { RunEngine } from '@mendflow/engine';
import type { Principal } from '../auth/principal';
import { RunInputValidator } from './run-input.validator';

@Injectable()
export class RunsService {
  constructor(
    private readonly automations: AutomationsRepository,
    private readonly runs: RunsRepository,
    private readonly engine: RunEngine,
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
    const { run } = await this.engine.queue(principal.workspaceId, {
      automationId,
      versionId: automation.deployedVersion.id,
      trigger: principal.via === 'session' ? 'manual' : 'api',
      input: body.input ?? null,
      idempotencyKey: body.idempotencyKey,
      createdBy:
        principal.via === 'api_key' && principal.keyId
          ? { kind: 'api_key', id: principal.keyId }
          : { kind: 'user', id: principal.userId },
      priority: body.priority ?? RUN_PRIORITY.default,
      concurrency: runConcurrency(manifest.concurrency, body.input ?? null),
    });
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
