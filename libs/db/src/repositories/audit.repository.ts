import { decodeCursor, encodeCursor } from '../cursor';
import type { Db } from '../database';
import { Prisma } from '../generated/prisma/client';
import { asJson } from '../json';

export interface AuditEntryInput {
  actorKind: 'user' | 'repair' | 'system';
  actorId?: string | null;
  action: string;
  targetKind: string;
  targetId: string;
  data?: Record<string, unknown>;
}

export interface AuditRecord {
  id: string;
  actorKind: string;
  actorId: string | null;
  /** The acting user's email when the actor is a user who still exists. */
  actorEmail: string | null;
  action: string;
  targetKind: string;
  targetId: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface AuditFilters {
  /** A user id or a repair id. */
  actorId?: string;
  actorKind?: string;
  /** An exact action (`automation.deployed`), or every action of a kind with a trailing `.*` (`member.*`). */
  action?: string;
  targetKind?: string;
  targetId?: string;
  createdFrom?: Date;
  createdTo?: Date;
}

// Audit ids are a bigint sequence, not UUIDs.
const AUDIT_ID = /^\d{1,19}$/;

interface AuditRow extends Omit<AuditRecord, 'id' | 'data'> {
  id: bigint;
  data: unknown;
}

/**
 * Append-only record of who did what: deploys, rollbacks, repairs, resolutions, cancels, member, key
 * and secret changes. Entries never hold a secret value. Nothing changes an entry; retention deletes
 * those older than the workspace's auditRetentionDays (RetentionRepository).
 */
export class AuditRepository {
  constructor(private readonly db: Db) {}

  async record(workspaceId: string, entry: AuditEntryInput): Promise<void> {
    await this.db.auditEntry.create({
      data: { workspaceId, ...entry, actorId: entry.actorId ?? null, data: asJson(entry.data ?? {}) },
    });
  }

  /** Newest first, filtered, with a keyset cursor over (createdAt, id) like the runs list. */
  async list(
    workspaceId: string,
    filters: AuditFilters,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: AuditRecord[]; nextCursor: string | null }> {
    const conditions = [Prisma.sql`e.workspace_id = ${workspaceId}::uuid`];
    if (filters.actorId) conditions.push(Prisma.sql`e.actor_id = ${filters.actorId}`);
    if (filters.actorKind) conditions.push(Prisma.sql`e.actor_kind = ${filters.actorKind}`);
    if (filters.action?.endsWith('.*')) {
      const prefix = filters.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
      conditions.push(Prisma.sql`e.action LIKE ${`${prefix}%`}`);
    } else if (filters.action) {
      conditions.push(Prisma.sql`e.action = ${filters.action}`);
    }
    if (filters.targetKind) conditions.push(Prisma.sql`e.target_kind = ${filters.targetKind}`);
    if (filters.targetId) conditions.push(Prisma.sql`e.target_id = ${filters.targetId}`);
    if (filters.createdFrom) conditions.push(Prisma.sql`e.created_at >= ${filters.createdFrom}`);
    if (filters.createdTo) conditions.push(Prisma.sql`e.created_at < ${filters.createdTo}`);
    if (page.cursor) {
      const after = decodeCursor(page.cursor, AUDIT_ID);
      conditions.push(Prisma.sql`(e.created_at, e.id) < (${after.createdAt}, ${BigInt(after.id)})`);
    }
    const rows = await this.db.$queryRaw<AuditRow[]>`
      SELECT e.id, e.actor_kind AS "actorKind", e.actor_id AS "actorId", u.email AS "actorEmail", e.action,
             e.target_kind AS "targetKind", e.target_id AS "targetId", e.data, e.created_at AS "createdAt"
      FROM audit_log e
      LEFT JOIN users u ON e.actor_kind = 'user' AND u.id::text = e.actor_id
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY e.created_at DESC, e.id DESC
      LIMIT ${page.limit + 1}`;
    const items = rows.slice(0, page.limit).map((row) => ({
      ...row,
      id: row.id.toString(),
      data: (row.data ?? {}) as Record<string, unknown>,
    }));
    const last = items.at(-1);
    return {
      items,
      nextCursor:
        rows.length > page.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    };
  }
}
