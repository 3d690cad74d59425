import { type InboxAction, type InboxKind, NotFoundError } from '@mendflow/common';
import type { InboxStatus } from '@mendflow/contracts';
import type { Db } from '../database';

export interface InboxItemRecord {
  id: string;
  runId: string;
  automationId: string;
  automationName: string;
  kind: InboxKind;
  title: string;
  reason: string;
  evidence: unknown;
  actions: InboxAction[];
  status: InboxStatus;
  repairId: string | null;
  /** The action taken, or `expire` for an approval request nobody answered in time. */
  resolution: InboxAction | 'expire' | null;
  resolvedBy: string | null;
  comment: string | null;
  createdAt: Date;
  resolvedAt: Date | null;
  /** An approval request's deadline. */
  expiresAt: Date | null;
}

export class InboxRepository {
  constructor(private readonly db: Db) {}

  async list(
    workspaceId: string,
    filter: { status?: InboxStatus; runId?: string; limit: number },
  ): Promise<InboxItemRecord[]> {
    const rows = await this.db.inboxItem.findMany({
      where: {
        workspaceId,
        ...(filter.status && { status: filter.status }),
        ...(filter.runId && { runId: filter.runId }),
      },
      orderBy: { createdAt: 'desc' },
      take: filter.limit,
    });
    return this.withNames(workspaceId, rows);
  }

  async get(workspaceId: string, id: string): Promise<InboxItemRecord> {
    const row = await this.db.inboxItem.findFirst({ where: { id, workspaceId } });
    if (!row) throw new NotFoundError('INBOX_ITEM_NOT_FOUND', 'inbox item', id);
    const [item] = await this.withNames(workspaceId, [row]);
    return item!;
  }

  /** Marks an open item resolved; false when someone resolved it first. */
  async resolve(
    workspaceId: string,
    id: string,
    resolution: { action: InboxAction; by: string; comment?: string },
  ): Promise<boolean> {
    // An approval request past its deadline cannot be answered any more: it expires instead.
    const { count } = await this.db.inboxItem.updateMany({
      where: {
        id,
        workspaceId,
        status: 'open',
        OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }],
      },
      data: {
        status: 'resolved',
        resolution: resolution.action,
        resolvedBy: resolution.by,
        comment: resolution.comment ?? null,
        resolvedAt: new Date(),
      },
    });
    return count > 0;
  }

  /**
   * Closes a run's open approval request as expired (its deadline passed); false when someone answered
   * it first, or it is gone. The expiry and an answer race on this one conditional update.
   */
  async expireApproval(workspaceId: string, runId: string): Promise<boolean> {
    const { count } = await this.db.inboxItem.updateMany({
      where: { workspaceId, runId, kind: 'approval', status: 'open' },
      data: { status: 'expired', resolution: 'expire', resolvedBy: 'system', resolvedAt: new Date() },
    });
    return count > 0;
  }

  /** Closes the open items of a run that a later decision made moot (e.g. the run was cancelled). */
  async resolveOpenForRun(
    workspaceId: string,
    runId: string,
    resolution: { action: InboxAction; by: string },
  ): Promise<number> {
    const { count } = await this.db.inboxItem.updateMany({
      where: { workspaceId, runId, status: 'open' },
      data: {
        status: 'resolved',
        resolution: resolution.action,
        resolvedBy: resolution.by,
        resolvedAt: new Date(),
      },
    });
    return count;
  }

  countOpenByAutomation(workspaceId: string): Promise<{ automationId: string; _count: { _all: number } }[]> {
    return this.db.inboxItem
      .groupBy({ by: ['automationId'], where: { workspaceId, status: 'open' }, _count: { _all: true } })
      .then((rows) =>
        rows.map((row) => ({ automationId: row.automationId, _count: { _all: row._count._all } })),
      );
  }

  private async withNames(
    workspaceId: string,
    rows: Awaited<ReturnType<Db['inboxItem']['findMany']>>,
  ): Promise<InboxItemRecord[]> {
    const ids = [...new Set(rows.map((row) => row.automationId))];
    const automations = await this.db.automation.findMany({
      where: { workspaceId, id: { in: ids } },
      select: { id: true, name: true },
    });
    const names = new Map(automations.map((a) => [a.id, a.name]));
    return rows.map((row) => ({
      id: row.id,
      runId: row.runId,
      automationId: row.automationId,
      automationName: names.get(row.automationId) ?? '',
      kind: row.kind as InboxKind,
      title: row.title,
      reason: row.reason,
      evidence: row.evidence,
      actions: row.actions as InboxAction[],
      status: row.status as InboxItemRecord['status'],
      repairId: row.repairId,
      resolution: row.resolution as InboxAction | null,
      resolvedBy: row.resolvedBy,
      comment: row.comment,
      createdAt: row.createdAt,
      resolvedAt: row.resolvedAt,
      expiresAt: row.expiresAt,
    }));
  }
}
