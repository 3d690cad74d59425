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
import {
  type AutomationRecord,
  AutomationsRepository,
  type RunFilters,
  type RunRecord,
  RunsRepository,
  StaleDeploymentError,
} from '@mendflow/db';
import { RunEngine } from '@mendflow/engine';
import type { Principal } from '../auth/principal';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { DeployedAutomations } from './deployed-automations';
import { RunInputValidator } from './run-input.validator';

/** Reads of the automation one start may take when deploys race it (the first may be a cached one). */
const MAX_READS = 3;

type Deployed = NonNullable<AutomationRecord['deployedVersion']>;

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
    private readonly deployed: DeployedAutomations,
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

  /**
   * The one way the API records and enqueues a run: the deployed version, its input schema and limits.
   * The automation comes from this process's cache (DeployedAutomations); the insert checks it is still
   * current, and anything a cached entry would refuse or got wrong is decided again on a fresh read.
   */
  private async queueRun(
    workspaceId: string,
    automationId: string,
    request: RunRequest,
  ): Promise<{ run: RunRecord; created: boolean }> {
    let { automation, cached } = await this.deployed.get(workspaceId, automationId);
    for (let reads = 1; ; reads++) {
      let version: Deployed;
      try {
        version = this.deployedFor(automation, request.input);
      } catch (refusal) {
        if (!cached) throw refusal;
        automation = await this.deployed.read(workspaceId, automationId);
        cached = false;
        continue;
      }
      try {
        return await this.engine.queue(workspaceId, {
          automationId,
          versionId: version.id,
          onlyIfDeployed: true,
          trigger: request.trigger,
          input: request.input,
          idempotencyKey: request.idempotencyKey,
          idempotencyTtlHours: this.config.IDEMPOTENCY_TTL_HOURS,
          triggerContext: request.triggerContext,
          createdBy: request.createdBy,
          priority: request.priority ?? RUN_PRIORITY.default,
          concurrency: runConcurrency(version.manifest.concurrency, request.input),
        });
      } catch (error) {
        if (!(error instanceof StaleDeploymentError)) throw error;
        // Changing faster than it can be read (deploys racing this request): nothing was recorded.
        if (reads >= MAX_READS) {
          throw new DomainError(
            ErrorCodes.AUTOMATION_CHANGED,
            'conflict',
            `automation ${automation.name} changed while the run was being started; start it again`,
          );
        }
        automation = await this.deployed.read(workspaceId, automationId);
        cached = false;
      }
    }
  }

  /** The version a run of `automation` starts on, or why it cannot start (paused, nothing deployed, bad input). */
  private deployedFor(automation: AutomationRecord, input: unknown): Deployed {
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
    this.inputs.check(automation.deployedVersion.manifest.inputSchema, input);
    return automation.deployedVersion;
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
