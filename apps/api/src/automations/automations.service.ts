import { Injectable, Logger } from '@nestjs/common';
import {
  type CreateAutomationBody,
  type CreateVersionBody,
  ErrorCodes,
  type Manifest,
  type UpdateAutomationBody,
  ValidationError,
} from '@mendflow/common';
import { AutomationsRepository, loggableError, NotificationsRepository, StatsRepository } from '@mendflow/db';
import { ScheduleSync } from '@mendflow/triggers';
import { AuditTrail } from '../audit/audit-trail.service';
import type { Principal } from '../auth/principal';
import { ScriptChecker } from '../lint/script-checker.service';

@Injectable()
export class AutomationsService {
  private readonly logger = new Logger('AutomationsService');

  constructor(
    private readonly automations: AutomationsRepository,
    private readonly checker: ScriptChecker,
    private readonly audit: AuditTrail,
    private readonly statsRepository: StatsRepository,
    private readonly notifications: NotificationsRepository,
    private readonly schedules: ScheduleSync,
  ) {}

  stats(principal: Principal, automationIds: string[]) {
    return this.statsRepository.forAutomations(principal.workspaceId, automationIds);
  }

  async create(principal: Principal, body: CreateAutomationBody) {
    const { manifest, language } = this.checker.checkDeployable(body.source, body.manifest, body.language);
    await this.checkChannels(principal, manifest);
    const automation = await this.automations.create(principal.workspaceId, {
      name: body.name,
      description: body.description,
      source: body.source,
      language,
      manifest,
      createdByKind: 'user',
      createdBy: principal.userId,
    });
    await this.followSchedules(principal, automation.id);
    await this.deployed(principal, automation.id, 1);
    return automation;
  }

  list(principal: Principal, page: { limit: number; cursor?: string }) {
    return this.automations.list(principal.workspaceId, page);
  }

  get(principal: Principal, id: string) {
    return this.automations.get(principal.workspaceId, id);
  }

  async addVersion(principal: Principal, automationId: string, body: CreateVersionBody) {
    await this.automations.get(principal.workspaceId, automationId);
    const { manifest, language } = this.checker.checkDeployable(body.source, body.manifest, body.language);
    await this.checkChannels(principal, manifest);
    const version = await this.automations.addVersion(principal.workspaceId, automationId, {
      source: body.source,
      language,
      manifest,
      createdByKind: 'user',
      createdBy: principal.userId,
    });
    await this.followSchedules(principal, automationId);
    await this.deployed(principal, automationId, version.number);
    return version;
  }

  async update(principal: Principal, id: string, patch: UpdateAutomationBody) {
    const updated = await this.automations.update(principal.workspaceId, id, patch);
    if (patch.status !== undefined) await this.followSchedules(principal, id);
    await this.audit.record(principal, {
      action: 'automation.updated',
      targetKind: 'automation',
      targetId: id,
      // What changed, not a copy of the description.
      data: {
        fields: Object.keys(patch),
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.status !== undefined && { status: patch.status }),
      },
    });
    return updated;
  }

  async remove(principal: Principal, id: string) {
    const automation = await this.automations.get(principal.workspaceId, id);
    await this.automations.remove(principal.workspaceId, id);
    await this.followSchedules(principal, id);
    await this.audit.record(principal, {
      action: 'automation.deleted',
      targetKind: 'automation',
      targetId: id,
      data: { name: automation.name },
    });
  }

  async rollback(principal: Principal, id: string, version: number) {
    const deployed = await this.automations.deployVersion(principal.workspaceId, id, version);
    await this.followSchedules(principal, id);
    await this.deployed(principal, id, version, 'automation.rolled_back');
    return deployed;
  }

  /**
   * A manifest narrowing notifications to a channel the workspace does not have is refused at deploy
   * time: a typo would otherwise silence the automation's notifications without anyone noticing.
   */
  private async checkChannels(principal: Principal, manifest: Manifest): Promise<void> {
    const names = manifest.notifications.channels ?? [];
    const unknown = new Set(await this.notifications.unknownChannelNames(principal.workspaceId, names));
    const issues = names.flatMap((name, index) =>
      unknown.has(name)
        ? [
            {
              path: `manifest.notifications.channels.${index}`,
              message: `no notification channel named ${JSON.stringify(name)} in this workspace`,
            },
          ]
        : [],
    );
    if (issues.length > 0) throw new ValidationError(issues, ErrorCodes.AUTOMATION_INVALID_MANIFEST);
  }

  /**
   * The change committed its trigger rows (syncTriggers, same transaction); Redis's schedulers follow
   * now. If Redis refuses, the change stands and the reconciler's next pass writes the schedulers
   * (ScheduleSync.syncAll): the request does not fail for what is already done.
   */
  private async followSchedules(principal: Principal, automationId: string): Promise<void> {
    try {
      await this.schedules.syncAutomation(principal.workspaceId, automationId);
    } catch (error) {
      this.logger.warn(
        `schedules of automation ${automationId} not synced (the reconciler will): ${loggableError(error).split('\n')[0]}`,
      );
    }
  }

  private deployed(
    principal: Principal,
    automationId: string,
    version: number,
    action = 'automation.deployed',
  ) {
    return this.audit.record(principal, {
      action,
      targetKind: 'automation',
      targetId: automationId,
      data: { version },
    });
  }

  listVersions(principal: Principal, automationId: string) {
    return this.automations.listVersions(principal.workspaceId, automationId);
  }
}
