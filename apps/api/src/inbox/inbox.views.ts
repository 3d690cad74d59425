import type { InboxItemRecord } from '@mendflow/db';

export function inboxItemView(item: InboxItemRecord) {
  return {
    id: item.id,
    kind: item.kind,
    status: item.status,
    title: item.title,
    reason: item.reason,
    evidence: item.evidence,
    actions: item.actions,
    run: { id: item.runId },
    automation: { id: item.automationId, name: item.automationName },
    repairId: item.repairId,
    resolution: item.resolution
      ? {
          action: item.resolution,
          by: item.resolvedBy,
          comment: item.comment,
          at: item.resolvedAt?.toISOString() ?? null,
        }
      : null,
    createdAt: item.createdAt.toISOString(),
    expiresAt: item.expiresAt?.toISOString() ?? null,
  };
}
