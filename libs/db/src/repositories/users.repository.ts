import type { Db } from '../database';

/** What sign-in needs to check a password and open a session. */
export interface LoginCandidate {
  id: string;
  workspaceId: string;
  email: string;
  role: string;
  passwordHash: string;
}

export interface UserProfile {
  user: { id: string; email: string; role: string };
  workspace: { id: string; name: string };
}

/** Users as people who sign in. Creating them is WorkspacesRepository's job (with their workspace). */
export class UsersRepository {
  constructor(private readonly db: Db) {}

  /** Not workspace-scoped: an email is unique across the installation, and it is how sign-in finds the workspace. */
  async findForLogin(email: string): Promise<LoginCandidate | null> {
    return this.db.user.findUnique({
      where: { email },
      select: { id: true, workspaceId: true, email: true, role: true, passwordHash: true },
    });
  }

  async getProfile(workspaceId: string, userId: string): Promise<UserProfile | null> {
    const row = await this.db.user.findFirst({
      where: { workspaceId, id: userId },
      select: { id: true, email: true, role: true, workspace: { select: { id: true, name: true } } },
    });
    if (!row) return null;
    return { user: { id: row.id, email: row.email, role: row.role }, workspace: row.workspace };
  }
}
