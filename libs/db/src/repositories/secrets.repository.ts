import type { Db } from '../database';

export interface SecretSummary {
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Stores ciphertext only; encryption is the caller's (SecretBox in @mendflow/common). */
export class SecretsRepository {
  constructor(private readonly db: Db) {}

  async list(workspaceId: string): Promise<SecretSummary[]> {
    return this.db.secret.findMany({
      where: { workspaceId },
      select: { name: true, createdAt: true, updatedAt: true },
      orderBy: { name: 'asc' },
    });
  }

  async put(workspaceId: string, name: string, ciphertext: string): Promise<{ created: boolean }> {
    const existing = await this.db.secret.findUnique({
      where: { workspaceId_name: { workspaceId, name } },
      select: { id: true },
    });
    await this.db.secret.upsert({
      where: { workspaceId_name: { workspaceId, name } },
      create: { workspaceId, name, ciphertext },
      update: { ciphertext },
    });
    return { created: !existing };
  }

  async getCiphertext(workspaceId: string, name: string): Promise<string | undefined> {
    const row = await this.db.secret.findUnique({
      where: { workspaceId_name: { workspaceId, name } },
      select: { ciphertext: true },
    });
    return row?.ciphertext;
  }

  async delete(workspaceId: string, name: string): Promise<boolean> {
    const { count } = await this.db.secret.deleteMany({ where: { workspaceId, name } });
    return count > 0;
  }
}
