import type { Role } from '@mendflow/common';
import type { Db } from '../database';

export interface SessionRecord {
  id: string;
  workspaceId: string;
  userId: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

/** A live session with who it belongs to, as the API needs it on every cookie-authenticated request. */
export interface ActiveSession extends SessionRecord {
  /** The user's role in the session's current workspace. */
  user: { id: string; email: string; role: Role };
  workspace: { id: string; name: string };
}

interface ActiveSessionRow {
  id: string;
  workspaceId: string;
  userId: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
  email: string;
  role: Role;
  workspaceName: string;
}

/**
 * Dashboard sign-ins. Rows hold the SHA-256 of the cookie's token, never the token itself, so a
 * database dump cannot be replayed as a cookie. Lookup by token hash is the one method that is not
 * workspace-scoped: it is how a request finds its workspace.
 */
export class SessionsRepository {
  constructor(private readonly db: Db) {}

  async create(
    workspaceId: string,
    input: { userId: string; tokenHash: string; csrfToken: string; expiresAt: Date },
  ): Promise<SessionRecord> {
    const row = await this.db.userSession.create({ data: { workspaceId, ...input } });
    return {
      id: row.id,
      workspaceId: row.workspaceId,
      userId: row.userId,
      csrfToken: row.csrfToken,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
    };
  }

  /**
   * The unexpired session behind a token hash, with its user, current workspace and the user's role
   * there; null otherwise. The join on memberships also ends the sessions of a user who no longer
   * exists or is no longer a member of that workspace (sessions have no foreign key to cascade).
   */
  async findActiveByTokenHash(tokenHash: string): Promise<ActiveSession | null> {
    const rows = await this.db.$queryRaw<ActiveSessionRow[]>`
      SELECT s.id, s.workspace_id AS "workspaceId", s.user_id AS "userId", s.csrf_token AS "csrfToken",
             s.created_at AS "createdAt", s.expires_at AS "expiresAt", u.email, m.role, w.name AS "workspaceName"
      FROM user_sessions s
      JOIN memberships m ON m.user_id = s.user_id AND m.workspace_id = s.workspace_id
      JOIN users u ON u.id = s.user_id
      JOIN workspaces w ON w.id = s.workspace_id
      WHERE s.token_hash = ${tokenHash} AND s.expires_at > now()`;
    const row = rows[0];
    if (!row) return null;
    const { email, role, workspaceName, ...session } = row;
    return {
      ...session,
      user: { id: row.userId, email, role },
      workspace: { id: row.workspaceId, name: workspaceName },
    };
  }

  /** Ends one session (sign-out). False when it was already gone. */
  async delete(workspaceId: string, id: string): Promise<boolean> {
    const { count } = await this.db.userSession.deleteMany({ where: { workspaceId, id } });
    return count > 0;
  }

  /**
   * Moves a session to another of its user's workspaces. The membership is checked in the same
   * statement, so a switch can never land in a workspace the user does not belong to; false otherwise.
   */
  async switchWorkspace(
    currentWorkspaceId: string,
    id: string,
    userId: string,
    workspaceId: string,
  ): Promise<boolean> {
    const updated = await this.db.$executeRaw`
      UPDATE user_sessions s SET workspace_id = ${workspaceId}::uuid
      WHERE s.id = ${id}::uuid AND s.workspace_id = ${currentWorkspaceId}::uuid AND s.user_id = ${userId}::uuid
        AND EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = ${workspaceId}::uuid AND m.user_id = ${userId}::uuid)`;
    return updated > 0;
  }

  /** Housekeeping at sign-in: a user's expired sessions (in any of their workspaces) can never be used again. */
  async deleteExpiredForUser(userId: string): Promise<number> {
    const { count } = await this.db.userSession.deleteMany({
      where: { userId, expiresAt: { lte: new Date() } },
    });
    return count;
  }
}
