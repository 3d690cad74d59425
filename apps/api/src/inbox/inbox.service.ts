import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCodes, type InboxAction, type Manifest } from '@mendflow/common';
import { type ApprovalCaps, widenedCap } from '@mendflow/contracts';
import {
  AuditRepository,
  AutomationsRepository,
  deployRepair,
  type InboxItemRecord,
  InboxRepository,
  RepairsRepository,
  RunsRepository,
} from '@mendflow/db';
import { RunEngine } from '@mendflow/engine';
import { ScheduleSync } from '@mendflow/triggers';
import { AuditTrail } from '../audit/audit-trail.service';
import type { Principal } from '../auth/principal';
import { RunControlService } from '../runs/run-control.service';

export interface Resolution {
  action: InboxAction;
  comment?: string;
  /** Approval requests only: tighter caps than the script asked for. */
  caps?: ApprovalCaps;
}

/** Resolving an action-needed item resumes or ends its run; each resolution is audited. */
@Injectable()
export class InboxService {
  constructor(
    private readonly inbox: InboxRepository,
    private readonly repairs: RepairsRepository,
    private readonly automations: AutomationsRepository,
    private readonly runs: RunsRepository,
    private readonly audit: AuditRepository,
    private readonly trail: AuditTrail,
    private readonly control: RunControlService,
    private readonly engine: RunEngine,
    private readonly schedules: ScheduleSync,
  ) {}

  list(principal: Principal, filter: { status?: InboxItemRecord['status']; runId?: string; limit: number }) {
    return this.inbox.list(principal.workspaceId, filter);
  }

  async resolve(principal: Principal, id: string, resolution: Resolution) {
    const { workspaceId } = principal;
    const { action, comment } = resolution;
    const item = await this.inbox.get(workspaceId, id);
    assertOpen(item);
    if (!item.actions.includes(action)) {
      throw new DomainError(
        ErrorCodes.INBOX_ACTION_NOT_ALLOWED,
        'invalid',
        `action must be one of: ${item.actions.join(', ')}`,
        { field: 'action', allowed: item.actions },
      );
    }
    if (resolution.caps && (item.kind !== 'approval' || action !== 'approve')) {
      throw new DomainError(
        ErrorCodes.VALIDATION_FAILED,
        'invalid',
        'caps can only be given when approving an approval request',
        { field: 'caps' },
      );
    }
    if (item.kind === 'approval') {
      await this.answerApproval(principal, item, resolution);
      return this.inbox.get(workspaceId, id);
    }
    // Claim the item first so two people answering at once cannot both act on the run.
    if (!(await this.inbox.resolve(workspaceId, id, { action, by: principal.userId, comment }))) {
      throw new DomainError(
        ErrorCodes.INBOX_ITEM_RESOLVED,
        'conflict',
        'this item was resolved by someone else just now',
      );
    }
    await this.recordResolution(principal, item, action, comment);
    const ref = { workspaceId, runId: item.runId, automationId: item.automationId };
    await this.engine.note(ref, {
      type: 'inbox.resolved',
      data: { inboxItemId: id, kind: item.kind, action, by: principal.userId, ...(comment && { comment }) },
    });

    switch (action) {
      case 'retry':
        await this.control.retry(principal, item.runId, `resolved "${item.title}" with retry`);
        break;
      case 'cancel':
        await this.control.cancel(principal, item.runId, `resolved "${item.title}" with cancel`);
        break;
      case 'approve':
        await this.approveRepair(principal, item);
        break;
      case 'reject':
        if (item.repairId) await this.repairs.update(workspaceId, item.repairId, { status: 'rejected' });
        await this.engine.reject(ref, {
          by: principal.userId,
          reason: item.repairId ? 'the repair was rejected' : 'rejected',
        });
        break;
    }
    return this.inbox.get(workspaceId, id);
  }

  /**
   * A person answers a script's `ctx.waitForApproval`. API keys may answer only where the manifest
   * allows it (`approvals.allowApiKeys`), and never the key that started the run: a script cannot
   * approve itself. Caps may only be tightened.
   */
  private async answerApproval(principal: Principal, item: InboxItemRecord, resolution: Resolution) {
    const { workspaceId } = principal;
    const run = await this.runs.get(workspaceId, item.runId);
    const version = await this.automations.getVersion(workspaceId, run.versionId);
    const manifest = version?.manifest as Manifest | undefined;
    if (principal.via === 'api_key') {
      if (!manifest?.approvals.allowApiKeys) {
        throw new DomainError(
          ErrorCodes.APPROVAL_REQUIRES_PERSON,
          'forbidden',
          'approval requests are answered by a signed-in person; this automation does not let API keys answer them (manifest approvals.allowApiKeys)',
        );
      }
      const evidence = item.evidence as { startedBy?: { kind: string; id: string } | null };
      if (evidence.startedBy?.kind === 'api_key' && evidence.startedBy.id === principal.keyId) {
        throw new DomainError(
          ErrorCodes.APPROVAL_REQUIRES_PERSON,
          'forbidden',
          'the API key that started this run cannot answer its approval requests',
        );
      }
    }
    const evidence = item.evidence as { caps?: ApprovalCaps; attempt: number };
    if (resolution.caps) {
      const widened = widenedCap(evidence.caps, resolution.caps, manifest?.permissions.hosts ?? []);
      if (widened) {
        throw new DomainError(
          ErrorCodes.APPROVAL_CAPS_WIDENED,
          'invalid',
          `caps.${widened} may only tighten what the script asked for`,
          { field: `caps.${widened}` },
        );
      }
    }
    const approved = resolution.action === 'approve';
    const { claimed } = await this.engine.answerApproval(
      { workspaceId, runId: item.runId, automationId: item.automationId },
      { id: item.id, attempt: evidence.attempt },
      {
        approved,
        by: principal.userId,
        ...(resolution.comment !== undefined && { comment: resolution.comment }),
        ...(approved && resolution.caps && { caps: resolution.caps }),
      },
    );
    if (!claimed) assertOpen(await this.inbox.get(workspaceId, item.id), 'just now');
    await this.recordResolution(principal, item, resolution.action, resolution.comment);
  }

  private async approveRepair(principal: Principal, item: InboxItemRecord) {
    if (!item.repairId)
      throw new DomainError(
        ErrorCodes.INBOX_ACTION_NOT_ALLOWED,
        'invalid',
        'this item has no repair to approve',
        {
          field: 'action',
        },
      );
    const { workspaceId } = principal;
    const repair = await this.repairs.get(workspaceId, item.repairId);
    const version = await deployRepair(
      { automations: this.automations, repairs: this.repairs, audit: this.audit },
      workspaceId,
      repair,
      { approvedBy: principal.userId },
    );
    // The repair's version carries the manifest the run failed on, which may not be the one deployed
    // before: the schedules follow the deploy.
    await this.schedules.syncAutomation(workspaceId, repair.automationId);
    await this.engine.resumeAfterRepair(
      { workspaceId, runId: repair.runId, automationId: repair.automationId },
      repair,
      version,
      { from: 'action_needed', approvedBy: principal.userId },
    );
  }

  private recordResolution(principal: Principal, item: InboxItemRecord, action: string, comment?: string) {
    return this.trail.record(principal, {
      action: `inbox.${action}`,
      targetKind: 'inbox_item',
      targetId: item.id,
      data: { runId: item.runId, kind: item.kind, ...(comment && { comment }) },
    });
  }
}

/** 409 for an item that can no longer be answered: resolved already, or an approval that expired. */
function assertOpen(item: InboxItemRecord, when = 'already'): void {
  const expired =
    item.status === 'expired' ||
    (item.status === 'open' && item.expiresAt !== null && item.expiresAt.getTime() <= Date.now());
  if (expired) {
    throw new DomainError(
      ErrorCodes.APPROVAL_EXPIRED,
      'conflict',
      `this approval request expired at ${item.expiresAt?.toISOString() ?? 'its deadline'}`,
    );
  }
  if (item.status !== 'open') {
    throw new DomainError(
      ErrorCodes.INBOX_ITEM_RESOLVED,
      'conflict',
      `this item was ${when} resolved (${item.resolution})`,
    );
  }
}
