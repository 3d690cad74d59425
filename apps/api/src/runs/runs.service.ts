import { Inject, Injectable } from '@nestjs/common';
import {
  DomainError,
  ErrorCodes,
  RUN_PRIORITY,
  runConcurrency,
  type RunTrigger,
  type StartRunBody,
} from '@mendflow/common';
import type { RunTriggerContext } from '@mendflow/contracts';
import { AutomationsRepository, type RunFilters, type RunRecord, RunsRepository } from '@mendflow/db';
import { RunEngine } from '@mendflow/engine';
import type { Principal } from '../auth/principal';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { RunInputValidator } from './run-input.validator';

/** A run to start, as its starters (a person, an API key, a webhook) describe it. */
interface RunRequest {
  trigger: RunTrigger;
  input: unknown;
  idempotencyKey?: string;
  triggerContext?: RunTriggerContext;
  createdBy?: { kind: 'user' | 'api_key'; id: string };
  priority?: number;
}

@Injectable()
export class RunsService {
  constructor(
    private readonly automations: AutomationsRepository,
    private readonly runs: RunsRepository,
    private readonly engine: RunEngine,
    private readonly inputs: RunInputValidator,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Records the run, then enqueues it; the same idempotency key returns the same run. */
  async start(principal: Principal, automationId: string, body: StartRunBody) {
    const { run } = await this.queueRun(principal.workspaceId, automationId, {
      trigger: principal.via === 'session' ? 'manual' : 'api',
      input: body.input ?? null,
      idempotencyKey: body.idempotencyKey,
      createdBy:
        principal.via === 'api_key' && principal.keyId
          ? { kind: 'api_key', id: principal.keyId }
          : { kind: 'user', id: principal.userId },
      priority: body.priority,
    });
    return run;
  }

  /**
   * Starts a run for a trigger (a webhook): no person or key started it, its origin is in
   * `triggerContext`. Returns whether it was created or an idempotent repeat.
   */
  startTriggered(
    workspaceId: string,
    automationId: string,
    request: RunRequest & { triggerContext: RunTriggerContext },
  ) {
    return this.queueRun(workspaceId, automationId, request);
  }

  /** The one way the API records and enqueues a run: the deployed version, its input schema and limits. */
  private async queueRun(
    workspaceId: string,
    automationId: string,
    request: RunRequest,
  ): Promise<{ run: RunRecord; created: boolean }> {
    const automation = await this.automations.get(workspaceId, automationId);
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
    this.inputs.check(manifest.inputSchema, request.input);
    return this.engine.queue(workspaceId, {
      automationId,
      versionId: automation.deployedVersion.id,
      trigger: request.trigger,
      input: request.input,
      idempotencyKey: request.idempotencyKey,
      idempotencyTtlHours: this.config.IDEMPOTENCY_TTL_HOURS,
      triggerContext: request.triggerContext,
      createdBy: request.createdBy,
      priority: request.priority ?? RUN_PRIORITY.default,
      concurrency: runConcurrency(manifest.concurrency, request.input),
    });
  }

  list(principal: Principal, filters: RunFilters, page: { limit: number; cursor?: string }) {
    return this.runs.list(principal.workspaceId, filters, page);
  }

  async get(principal: Principal, id: string) {
    const run = await this.runs.get(principal.workspaceId, id);
    const attempts = await this.runs.listAttempts(principal.workspaceId, id);
    return { run, attempts, exploration: await this.explorationOf(principal.workspaceId, run) };
  }

  /**
   * An exploration run's snippet (MCP execute, docs/mcp.md): its automation is hidden, so the run page
   * shows the code that ran from here. Undefined for every other run.
   */
  private async explorationOf(workspaceId: string, run: RunRecord) {
    if (run.trigger !== 'exploration') return undefined;
    const version = await this.automations.getVersion(workspaceId, run.versionId);
    return version
      ? { source: version.source, language: version.language, manifest: version.manifest }
      : undefined;
  }

  events(principal: Principal, id: string, afterSeq: number) {
    return this.runs.listEvents(principal.workspaceId, id, afterSeq);
  }

  logs(principal: Principal, id: string) {
    return this.runs.listLogs(principal.workspaceId, id);
  }
}
