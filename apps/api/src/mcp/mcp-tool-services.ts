import { Injectable, Logger } from '@nestjs/common';
import {
  InboxRepository,
  loggableError,
  RunsRepository,
  SecretRequestsRepository,
  SecretsRepository,
} from '@mendflow/db';
import { DomainError } from '@mendflow/common';
import { AutomationsService } from '../automations/automations.service';
import { RunWaiter } from '../hooks/run-waiter';
import { ScriptChecker } from '../lint/script-checker.service';
import { RunsService } from '../runs/runs.service';
import { ExplorationService } from './exploration.service';
import { RunReporter } from './run-report';

/** What the MCP tools act through: the services and repositories the REST routes use. */
@Injectable()
export class McpToolServices {
  private readonly logger = new Logger('Mcp');

  constructor(
    readonly exploration: ExplorationService,
    readonly checker: ScriptChecker,
    readonly automations: AutomationsService,
    readonly runs: RunsService,
    readonly runsRepository: RunsRepository,
    readonly waiter: RunWaiter,
    readonly reporter: RunReporter,
    readonly inbox: InboxRepository,
    readonly secrets: SecretsRepository,
    readonly secretRequests: SecretRequestsRepository,
  ) {}

  /** A domain error is the agent's to read; anything else is ours to log (its text is not shown). */
  onError(tool: string, error: unknown): void {
    if (error instanceof DomainError) return;
    this.logger.error(`tool ${tool} failed`, loggableError(error));
  }
}
