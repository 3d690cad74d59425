import type { Role } from '@mendflow/common';
import type { Db } from '../database';

/** What sign-in needs to check a password. Which workspace it opens is MembershipsRepository's question. */
export interface LoginCandidate {
  id: string;
  email: string;
  passwordHash: string;
}

/** A user as a member of one workspace: their role is the membership's. */
export interface UserProfile {
  user: { id: string; email: string; role: Role };
  workspace: { id: string; name: string };
}

/** Users as people who sign in. They are created with a workspace (bootstrap) or by accepting an invitation. */
export class UsersRepository {
  constructor(private readonly db: Db) {}

  /** Not workspace-scoped: an email is unique across the installation, and it is how sign-in finds the user. */
  async findForLogin(email: string): Promise<LoginCandidate | null> {
    return this.db.user.findUnique({
      where: { email },
      select: { id: true, email: true, passwordHash: true },
    });
  }

  /** Whether someone already signs in with this email (an invitation then asks for their password). */
  async existsByEmail(email: string): Promise<boolean> {
    return (await this.db.user.count({ where: { email } })) > 0;
  }

  /** The user as a member of the workspace; null when they are not (or no longer) one. */
  async getProfile(workspaceId: string, userId: string): Promise<UserProfile | null> {
    const row = await this.db.membership.findUnique({
      where: { workspaceId_userId: { workspaceId, userId } },
      select: {
        role: true,
        user: { select: { id: true, email: true } },
        workspace: { select: { id: true, name: true } },
      },
    });
    if (!row) return null;
    return { user: { ...row.user, role: row.role as Role }, workspace: row.workspace };
  }
}
