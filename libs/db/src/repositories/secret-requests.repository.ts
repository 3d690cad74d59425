import type { Db } from '../database';

export interface SecretRequestRecord {
  id: string;
  name: string;
  purpose: string;
  requestedByKeyId: string | null;
  status: 'open' | 'fulfilled';
  createdAt: Date;
  fulfilledAt: Date | null;
}

/**
 * What agents asked a person to set (MCP request_secret, docs/mcp.md): a name and a purpose, never a
 * value. One open request per name: asking again for an open name returns the request already open.
 */
export class SecretRequestsRepository {
  constructor(private readonly db: Db) {}

  async open(
    workspaceId: string,
    input: { name: string; purpose: string; requestedByKeyId: string | null },
  ): Promise<{ request: SecretRequestRecord; created: boolean }> {
    const existing = await this.db.secretRequest.findFirst({
      where: { workspaceId, name: input.name, status: 'open' },
    });
    if (existing) return { request: toRecord(existing), created: false };
    const created = await this.db.secretRequest.create({ data: { workspaceId, ...input } });
    return { request: toRecord(created), created: true };
  }

  async listOpen(workspaceId: string): Promise<SecretRequestRecord[]> {
    const rows = await this.db.secretRequest.findMany({
      where: { workspaceId, status: 'open' },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    return rows.map(toRecord);
  }

  /** The secret `name` was set: its open request (if any) is fulfilled. Returns how many were. */
  async fulfill(workspaceId: string, name: string): Promise<number> {
    const { count } = await this.db.secretRequest.updateMany({
      where: { workspaceId, name, status: 'open' },
      data: { status: 'fulfilled', fulfilledAt: new Date() },
    });
    return count;
  }
}

function toRecord(row: {
  id: string;
  name: string;
  purpose: string;
  requestedByKeyId: string | null;
  status: string;
  createdAt: Date;
  fulfilledAt: Date | null;
}): SecretRequestRecord {
  return { ...row, status: row.status === 'fulfilled' ? 'fulfilled' : 'open' };
}
