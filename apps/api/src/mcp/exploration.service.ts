import { Injectable } from '@nestjs/common';
import {
  ErrorCodes,
  type Manifest,
  RUN_PRIORITY,
  runConcurrency,
  type ScriptLanguage,
  ValidationError,
} from '@mendflow/common';
import { AutomationsRepository } from '@mendflow/db';
import { RunEngine } from '@mendflow/engine';
import type { Principal } from '../auth/principal';
import { RunWaiter } from '../hooks/run-waiter';
import { ScriptChecker } from '../lint/script-checker.service';
import { RunInputValidator } from '../runs/run-input.validator';
import { RunReporter } from './run-report';

export interface ExecuteRequest {
  source: string;
  manifest?: unknown;
  /** javascript | typescript; detected from the source when omitted, as on a deploy. */
  language?: ScriptLanguage;
  input?: unknown;
  /** How long to wait for the run to rest before answering with its id and status. */
  waitSeconds: number;
}

/**
 * MCP `execute`: a snippet run once, as an exploration run (docs/mcp.md). It is checked like a deploy
 * (the manifest schema, lint, the input schema), recorded as the next version of the workspace's hidden
 * exploration automation, and queued like any run, so a worker runs it in the same sandbox with the same
 * ctx, limits and network policy. The worker never retries or repairs it (trigger `exploration`).
 */
@Injectable()
export class ExplorationService {
  private readonly inputs = new RunInputValidator();

  constructor(
    private readonly checker: ScriptChecker,
    private readonly automations: AutomationsRepository,
    private readonly engine: RunEngine,
    private readonly waiter: RunWaiter,
    private readonly reporter: RunReporter,
  ) {}

  async execute(principal: Principal, request: ExecuteRequest) {
    const { manifest, language } = this.checker.checkDeployable(
      request.source,
      request.manifest,
      request.language,
    );
    refuseWhatOnlyDeploysDo(manifest);
    const input = request.input ?? null;
    this.inputs.check(manifest.inputSchema, input);
    const { workspaceId } = principal;
    const version = await this.automations.addExplorationVersion(workspaceId, {
      source: request.source,
      language,
      manifest,
      createdByKind: 'user',
      createdBy: principal.userId,
    });
    const { run } = await this.engine.queue(workspaceId, {
      automationId: version.automationId,
      versionId: version.id,
      trigger: 'exploration',
      input,
      createdBy:
        principal.via === 'api_key' && principal.keyId
          ? { kind: 'api_key', id: principal.keyId }
          : { kind: 'user', id: principal.userId },
      priority: RUN_PRIORITY.default,
      concurrency: runConcurrency(manifest.concurrency, input),
    });
    const rested = await this.waiter.wait(workspaceId, run.id, request.waitSeconds * 1000);
    return this.reporter.report(workspaceId, rested, this.waiter.isSettled(rested.status));
  }
}

/**
 * A snippet runs once, now: triggers (schedules, webhooks, events) and notification channels belong to
 * deployed automations, so a manifest naming them is refused rather than half-honoured.
 */
function refuseWhatOnlyDeploysDo(manifest: Manifest): void {
  const issues = [];
  if (manifest.triggers.length > 0) {
    issues.push({
      path: 'manifest.triggers',
      message: 'an executed snippet runs once and has no triggers; deploy it to trigger it',
    });
  }
  if ((manifest.notifications.channels ?? []).length > 0) {
    issues.push({
      path: 'manifest.notifications.channels',
      message: 'an executed snippet notifies no channel; deploy it to notify',
    });
  }
  if (issues.length > 0) throw new ValidationError(issues, ErrorCodes.AUTOMATION_INVALID_MANIFEST);
}
