import type { Db } from '../database';
import { asJson } from '../json';

export interface AuditEntryInput {
  actorKind: 'user' | 'repair' | 'system';
  actorId?: string | null;
  action: string;
  targetKind: string;
  targetId: string;
  data?: Record<string, unknown>;
}

/** Append-only record of deploys, repairs and resolutions. */
export class AuditRepository {
  constructor(private readonly db: Db) {}

  async record(workspaceId: string, entry: AuditEntryInput): Promise<void> {
    await this.db.auditEntry.create({
      data: { workspaceId, ...entry, actorId: entry.actorId ?? null, data: asJson(entry.data ?? {}) },
    });
  }

  async list(workspaceId: string, filter: { targetId?: string; limit: number }) {
    const rows = await this.db.auditEntry.findMany({
      where: { workspaceId, ...(filter.targetId && { targetId: filter.targetId }) },
      orderBy: { id: 'desc' },
      take: filter.limit,
    });
    return rows.map((row) => ({ ...row, id: row.id.toString() }));
  }
}
