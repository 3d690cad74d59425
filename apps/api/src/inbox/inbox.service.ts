import { Injectable } from '@nestjs/common';
import { DomainError, type InboxAction } from '@mendflow/common';
import { LiveEventsPublisher } from '@mendflow/events';
import {
  AuditRepository,
  AutomationsRepository,
  deployRepairAndResume,
  InboxRepository,
  RepairsRepository,
  RunExecutionRepository,
} from '@mendflow/db';
import { AuditTrail } from '../audit/audit-trail.service';
import type { Principal } from '../auth/principal';
import { RunControlService } from '../runs/run-control.service';
import { RunQueue } from '../runs/run-queue.service';

/** Resolving an action-needed item resumes or ends its run; each resolution is audited. */
@Injectable()
export class InboxService {
  constructor(
    private readonly inbox: InboxRepository,
    private readonly repairs: RepairsRepository,
    private readonly automations: AutomationsRepository,
    private readonly execution: RunExecutionRepository,
    private readonly audit: AuditRepository,
    private readonly trail: AuditTrail,
    private readonly control: RunControlService,
    private readonly queue: RunQueue,
    private readonly live: LiveEventsPublisher,
  ) {}

  list(principal: Principal, filter: { status?: 'open' | 'resolved'; runId?: string; limit: number }) {
    return this.inbox.list(principal.workspaceId, filter);
  }

  async resolve(principal: Principal, id: string, action: InboxAction, comment?: string) {
    const { workspaceId } = principal;
    const item = await this.inbox.get(workspaceId, id);
    if (item.status !== 'open') {
      throw new DomainError(
        'INBOX_ITEM_RESOLVED',
        'conflict',
        `this item was already resolved (${item.resolution})`,
      );
    }
    if (!item.actions.includes(action)) {
      throw new DomainError(
        'INBOX_ACTION_NOT_ALLOWED',
        'invalid',
        `action must be one of: ${item.actions.join(', ')}`,
        {
          field: 'action',
          allowed: item.actions,
        },
      );
    }
    // Claim the item first so two people answering at once cannot both act on the run.
    if (!(await this.inbox.resolve(workspaceId, id, { action, by: principal.userId, comment }))) {
      throw new DomainError(
        'INBOX_ITEM_RESOLVED',
        'conflict',
        'this item was resolved by someone else just now',
      );
    }
    await this.trail.record(principal, {
      action: `inbox.${action}`,
      targetKind: 'inbox_item',
      targetId: id,
      data: { runId: item.runId, kind: item.kind, ...(comment && { comment }) },
    });
    const resolved = await this.execution.appendEvent(workspaceId, item.runId, 'inbox.resolved', {
      inboxItemId: id,
      kind: item.kind,
      action,
      by: principal.userId,
      ...(comment && { comment }),
    });
    if (resolved) this.live.publishRunEvent({ ...resolved, automationId: item.automationId });

    switch (action) {
      case 'retry':
        await this.control.retry(principal, item.runId, `resolved "${item.title}" with retry`);
        break;
      case 'cancel':
        await this.control.cancel(principal, item.runId, `resolved "${item.title}" with cancel`);
        break;
      case 'approve':
        await this.approveRepair(principal, item.repairId);
        break;
      case 'reject':
        await this.reject(principal, item.runId, item.repairId);
        break;
    }
    return this.inbox.get(workspaceId, id);
  }

  private async approveRepair(principal: Principal, repairId: string | null) {
    if (!repairId)
      throw new DomainError('INBOX_ACTION_NOT_ALLOWED', 'invalid', 'this item has no repair to approve', {
        field: 'action',
      });
    const repair = await this.repairs.get(principal.workspaceId, repairId);
    const { transition } = await deployRepairAndResume(
      { automations: this.automations, repairs: this.repairs, audit: this.audit, execution: this.execution },
      principal.workspaceId,
      repair,
      { from: 'action_needed', approvedBy: principal.userId },
    );
    this.live.publishTransition(transition);
    if (transition)
      await this.queue.enqueue(
        {
          runId: repair.runId,
          workspaceId: principal.workspaceId,
          automationId: transition.automationId,
          attempt: transition.attemptCount + 1,
        },
        transition.priority,
      );
  }

  private async reject(principal: Principal, runId: string, repairId: string | null) {
    if (repairId) await this.repairs.update(principal.workspaceId, repairId, { status: 'rejected' });
    const transition = await this.execution.transition(principal.workspaceId, runId, {
      from: ['action_needed'],
      to: 'failed',
      event: {
        type: 'run.failed',
        data: { by: principal.userId, reason: repairId ? 'the repair was rejected' : 'rejected' },
      },
    });
    this.live.publishTransition(transition);
  }
}
