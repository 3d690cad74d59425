import type { Role } from '@mendflow/common';
import type { Db } from '../database';

export interface OwnerRecord {
  workspaceId: string;
  userId: string;
  email: string;
}

export interface WorkspaceRecord {
  id: string;
  name: string;
  createdAt: Date;
}

/** One of a user's workspaces, with the user's role in it. */
export interface UserWorkspace extends WorkspaceRecord {
  role: Role;
  joinedAt: Date;
  lastSelectedAt: Date | null;
}

/**
 * Workspaces. Bootstrap and a user's own list are the operations that are not scoped to one workspace:
 * they are how a user finds theirs.
 */
export class WorkspacesRepository {
  constructor(private readonly db: Db) {}

  async hasAnyUser(): Promise<boolean> {
    return (await this.db.user.count()) > 0;
  }

  /**
   * Creates the first workspace and its owner unless a user exists. A transaction-level advisory lock
   * makes concurrent API replicas starting together create exactly one.
   */
  async createFirstOwner(input: NewOwner): Promise<OwnerRecord | null> {
    return this.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('mendflow.bootstrap'))`;
      if ((await tx.user.count()) > 0) return null;
      return insertWorkspaceWithOwner(tx, input);
    });
  }

  /** A further workspace with a new user as its owner (tests; people join through invitations). */
  async createWorkspaceWithOwner(input: NewOwner): Promise<OwnerRecord> {
    return this.db.$transaction((tx) => insertWorkspaceWithOwner(tx, input));
  }

  /** A new workspace created by an existing user, who becomes its owner (and has it selected). */
  async createForUser(userId: string, name: string): Promise<UserWorkspace> {
    return this.db.$transaction(async (tx) => {
      const workspace = await tx.workspace.create({ data: { name } });
      const membership = await tx.membership.create({
        data: { workspaceId: workspace.id, userId, role: 'owner', lastSelectedAt: new Date() },
      });
      return {
        ...workspace,
        role: 'owner',
        joinedAt: membership.createdAt,
        lastSelectedAt: membership.lastSelectedAt,
      };
    });
  }

  async get(workspaceId: string): Promise<WorkspaceRecord | null> {
    return this.db.workspace.findUnique({ where: { id: workspaceId } });
  }

  async rename(workspaceId: string, name: string): Promise<WorkspaceRecord | null> {
    const { count } = await this.db.workspace.updateMany({ where: { id: workspaceId }, data: { name } });
    return count > 0 ? this.get(workspaceId) : null;
  }

  /** Every workspace the user is a member of, by name. */
  async listForUser(userId: string): Promise<UserWorkspace[]> {
    const rows = await this.db.membership.findMany({
      where: { userId },
      include: { workspace: true },
      orderBy: [{ workspace: { name: 'asc' } }, { workspaceId: 'asc' }],
    });
    return rows.map((row) => ({
      ...row.workspace,
      role: row.role as Role,
      joinedAt: row.createdAt,
      lastSelectedAt: row.lastSelectedAt,
    }));
  }
}

interface NewOwner {
  workspaceName: string;
  email: string;
  passwordHash: string;
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

async function insertWorkspaceWithOwner(tx: Tx, input: NewOwner): Promise<OwnerRecord> {
  const workspace = await tx.workspace.create({ data: { name: input.workspaceName } });
  const user = await tx.user.create({ data: { email: input.email, passwordHash: input.passwordHash } });
  await tx.membership.create({
    data: { workspaceId: workspace.id, userId: user.id, role: 'owner', lastSelectedAt: new Date() },
  });
  return { workspaceId: workspace.id, userId: user.id, email: user.email };
}
