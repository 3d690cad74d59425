import type { Db } from '../database';

export interface OwnerRecord {
  workspaceId: string;
  userId: string;
  email: string;
}

/** Workspaces and their users. Bootstrap is the only operation that is not scoped to a workspace. */
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

  /** A further workspace with its owner (tests and, later, sign-up). */
  async createWorkspaceWithOwner(input: NewOwner): Promise<OwnerRecord> {
    return this.db.$transaction((tx) => insertWorkspaceWithOwner(tx, input));
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
  const user = await tx.user.create({
    data: { workspaceId: workspace.id, email: input.email, passwordHash: input.passwordHash, role: 'owner' },
  });
  return { workspaceId: workspace.id, userId: user.id, email: user.email };
}
