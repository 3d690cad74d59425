import type { Role } from '@mendflow/common';
import type { Db } from '../database';

/** A member of a workspace as the members list shows them. */
export interface MemberRecord {
  userId: string;
  email: string;
  role: Role;
  joinedAt: Date;
}

/**
 * Decides whether a change to `target` may go ahead, given how many owners the workspace has right now;
 * throws to refuse. It runs inside the change's transaction, with the workspace's members locked, so two
 * concurrent changes cannot both remove "one of two" owners.
 */
export type MemberChangeCheck = (target: MemberRecord, owners: number) => void;

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** Who belongs to which workspace, with which role. Every method takes the workspace id. */
export class MembershipsRepository {
  constructor(private readonly db: Db) {}

  async role(workspaceId: string, userId: string): Promise<Role | null> {
    const row = await this.db.membership.findUnique({
      where: { workspaceId_userId: { workspaceId, userId } },
      select: { role: true },
    });
    return (row?.role as Role | undefined) ?? null;
  }

  async get(workspaceId: string, userId: string): Promise<MemberRecord | null> {
    const row = await this.db.membership.findUnique({
      where: { workspaceId_userId: { workspaceId, userId } },
      include: { user: { select: { email: true } } },
    });
    return row ? toMember(row) : null;
  }

  /** Members by role (owners first), then by email. */
  async list(workspaceId: string): Promise<MemberRecord[]> {
    const rows = await this.db.membership.findMany({
      where: { workspaceId },
      include: { user: { select: { email: true } } },
    });
    const order: Record<string, number> = { owner: 0, admin: 1, editor: 2, viewer: 3 };
    return rows
      .map(toMember)
      .sort((a, b) => (order[a.role] ?? 9) - (order[b.role] ?? 9) || a.email.localeCompare(b.email));
  }

  /**
   * The workspace a user signs in to: the one they selected (switched to, created or joined) most
   * recently, else the one they joined first. Not workspace-scoped: it is how sign-in finds one.
   */
  async latestForUser(userId: string): Promise<{ workspaceId: string; role: Role } | null> {
    const row = await this.db.membership.findFirst({
      where: { userId },
      orderBy: [{ lastSelectedAt: { sort: 'desc', nulls: 'last' } }, { createdAt: 'asc' }],
      select: { workspaceId: true, role: true },
    });
    return row ? { workspaceId: row.workspaceId, role: row.role as Role } : null;
  }

  async markSelected(workspaceId: string, userId: string): Promise<boolean> {
    const { count } = await this.db.membership.updateMany({
      where: { workspaceId, userId },
      data: { lastSelectedAt: new Date() },
    });
    return count > 0;
  }

  /** Changes a member's role; null when they are not a member. `check` may refuse (see MemberChangeCheck). */
  async changeRole(
    workspaceId: string,
    userId: string,
    role: Role,
    check: MemberChangeCheck,
  ): Promise<{ before: Role; member: MemberRecord } | null> {
    return this.db.$transaction(async (tx) => {
      const target = await lockedTarget(tx, workspaceId, userId, check);
      if (!target) return null;
      await tx.membership.update({
        where: { workspaceId_userId: { workspaceId, userId } },
        data: { role },
      });
      return { before: target.role, member: { ...target, role } };
    });
  }

  /**
   * Removes a member, with their API keys of this workspace (revoked) and their sessions that are in it
   * (ended). Returns what was removed, for the caller to drop caches and close live connections; null
   * when they were not a member.
   */
  async remove(
    workspaceId: string,
    userId: string,
    check: MemberChangeCheck,
  ): Promise<{ member: MemberRecord; revokedKeyIds: string[]; endedSessionIds: string[] } | null> {
    return this.db.$transaction(async (tx) => {
      const target = await lockedTarget(tx, workspaceId, userId, check);
      if (!target) return null;
      await tx.membership.delete({ where: { workspaceId_userId: { workspaceId, userId } } });
      const keys = await tx.apiKey.findMany({
        where: { workspaceId, userId, revokedAt: null },
        select: { id: true },
      });
      await tx.apiKey.updateMany({
        where: { id: { in: keys.map((k) => k.id) } },
        data: { revokedAt: new Date() },
      });
      const sessions = await tx.userSession.findMany({
        where: { workspaceId, userId },
        select: { id: true },
      });
      await tx.userSession.deleteMany({ where: { id: { in: sessions.map((s) => s.id) } } });
      return {
        member: target,
        revokedKeyIds: keys.map((k) => k.id),
        endedSessionIds: sessions.map((s) => s.id),
      };
    });
  }
}

/** Locks the workspace's memberships (through its row), then reads the target and asks `check`. */
async function lockedTarget(
  tx: Tx,
  workspaceId: string,
  userId: string,
  check: MemberChangeCheck,
): Promise<MemberRecord | null> {
  await tx.$queryRaw`SELECT id FROM workspaces WHERE id = ${workspaceId}::uuid FOR UPDATE`;
  const row = await tx.membership.findUnique({
    where: { workspaceId_userId: { workspaceId, userId } },
    include: { user: { select: { email: true } } },
  });
  if (!row) return null;
  const owners = await tx.membership.count({ where: { workspaceId, role: 'owner' } });
  const target = toMember(row);
  check(target, owners);
  return target;
}

function toMember(row: {
  userId: string;
  role: string;
  createdAt: Date;
  user: { email: string };
}): MemberRecord {
  return { userId: row.userId, email: row.user.email, role: row.role as Role, joinedAt: row.createdAt };
}
