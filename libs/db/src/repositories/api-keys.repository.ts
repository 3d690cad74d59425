import type { Role } from '@mendflow/common';
import type { Db } from '../database';

export interface ApiKeyRecord {
  id: string;
  workspaceId: string;
  userId: string;
  /** The creator's email, for lists ("created by"). */
  userEmail: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

export interface ApiKeyPrincipal {
  keyId: string;
  workspaceId: string;
  userId: string;
  /** The key's own role. */
  keyRole: Role;
  /** The creator's current role in the key's workspace: a key never acts above it. */
  memberRole: Role;
  expiresAt: Date | null;
}

const INCLUDE = { user: { select: { email: true } } } as const;

export class ApiKeysRepository {
  constructor(private readonly db: Db) {}

  async create(
    workspaceId: string,
    input: {
      userId: string;
      name: string;
      prefix: string;
      keyHash: string;
      role: Role;
      expiresAt?: Date | null;
    },
  ): Promise<ApiKeyRecord> {
    const row = await this.db.apiKey.create({
      data: { workspaceId, ...input, expiresAt: input.expiresAt ?? null },
      include: INCLUDE,
    });
    return toRecord(row);
  }

  /**
   * The principal behind a key hash, or null when unknown, revoked, expired, or when its creator is no
   * longer a member of the key's workspace. Not workspace-scoped: it finds the workspace.
   */
  async findPrincipalByHash(keyHash: string): Promise<ApiKeyPrincipal | null> {
    const rows = await this.db.$queryRaw<ApiKeyPrincipal[]>`
      SELECT k.id AS "keyId", k.workspace_id AS "workspaceId", k.user_id AS "userId", k.role AS "keyRole",
             m.role AS "memberRole", k.expires_at AS "expiresAt"
      FROM api_keys k
      JOIN memberships m ON m.workspace_id = k.workspace_id AND m.user_id = k.user_id
      WHERE k.key_hash = ${keyHash} AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())`;
    return rows[0] ?? null;
  }

  /** Keys that are neither revoked nor expired, newest first. */
  async list(workspaceId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.apiKey.findMany({
      where: {
        workspaceId,
        revokedAt: null,
        OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }],
      },
      include: INCLUDE,
      orderBy: { createdAt: 'desc' },
    });
    return rows.map(toRecord);
  }

  async get(workspaceId: string, id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.apiKey.findFirst({ where: { workspaceId, id }, include: INCLUDE });
    return row ? toRecord(row) : null;
  }

  /** Records that a key was seen; callers throttle it (the API does so once per cache refresh). */
  async markUsed(workspaceId: string, id: string): Promise<void> {
    await this.db.apiKey.updateMany({ where: { workspaceId, id }, data: { lastUsedAt: new Date() } });
  }

  async revoke(workspaceId: string, id: string): Promise<boolean> {
    const { count } = await this.db.apiKey.updateMany({
      where: { workspaceId, id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count > 0;
  }
}

function toRecord(row: {
  id: string;
  workspaceId: string;
  userId: string;
  name: string;
  prefix: string;
  role: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  user: { email: string };
}): ApiKeyRecord {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    userId: row.userId,
    userEmail: row.user.email,
    name: row.name,
    prefix: row.prefix,
    role: row.role as Role,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
  };
}
