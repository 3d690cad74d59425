import type { Db } from '../database';

export interface ApiKeyRecord {
  id: string;
  workspaceId: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface ApiKeyPrincipal {
  keyId: string;
  workspaceId: string;
  userId: string;
}

export class ApiKeysRepository {
  constructor(private readonly db: Db) {}

  async create(
    workspaceId: string,
    input: { userId: string; name: string; prefix: string; keyHash: string },
  ): Promise<ApiKeyRecord> {
    const row = await this.db.apiKey.create({ data: { workspaceId, ...input } });
    return toRecord(row);
  }

  /** The principal behind a key hash, or null when unknown or revoked. Not workspace-scoped: it finds the workspace. */
  async findPrincipalByHash(keyHash: string): Promise<ApiKeyPrincipal | null> {
    const row = await this.db.apiKey.findUnique({
      where: { keyHash },
      select: { id: true, workspaceId: true, userId: true, revokedAt: true },
    });
    if (!row || row.revokedAt) return null;
    return { keyId: row.id, workspaceId: row.workspaceId, userId: row.userId };
  }

  async list(workspaceId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.apiKey.findMany({
      where: { workspaceId, revokedAt: null },
      orderBy: { createdAt: 'desc' },
    });
    return rows.map(toRecord);
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
  createdAt: Date;
  lastUsedAt: Date | null;
}): ApiKeyRecord {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    userId: row.userId,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
  };
}
