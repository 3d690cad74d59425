import { Injectable } from '@nestjs/common';
import type { CreateAutomationBody, CreateVersionBody } from '@mendflow/common';
import { AutomationsRepository } from '@mendflow/db';
import type { Principal } from '../auth/principal';
import { ScriptChecker } from '../lint/script-checker.service';

@Injectable()
export class AutomationsService {
  constructor(
    private readonly automations: AutomationsRepository,
    private readonly checker: ScriptChecker,
  ) {}

  create(principal: Principal, body: CreateAutomationBody) {
    const manifest = this.checker.checkDeployable(body.source, body.manifest);
    return this.automations.create(principal.workspaceId, {
      name: body.name,
      description: body.description,
      source: body.source,
      manifest,
      createdByKind: 'user',
      createdBy: principal.userId,
    });
  }

  list(principal: Principal, page: { limit: number; cursor?: string }) {
    return this.automations.list(principal.workspaceId, page);
  }

  get(principal: Principal, id: string) {
    return this.automations.get(principal.workspaceId, id);
  }

  async addVersion(principal: Principal, automationId: string, body: CreateVersionBody) {
    await this.automations.get(principal.workspaceId, automationId);
    const manifest = this.checker.checkDeployable(body.source, body.manifest);
    return this.automations.addVersion(principal.workspaceId, automationId, {
      source: body.source,
      manifest,
      createdByKind: 'user',
      createdBy: principal.userId,
    });
  }

  listVersions(principal: Principal, automationId: string) {
    return this.automations.listVersions(principal.workspaceId, automationId);
  }
}
