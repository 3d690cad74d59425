import type { Db } from '../database';
import { Prisma } from '../generated/prisma/client';
import { asJson, jsonParam } from '../json';

/**
 * The durable state a script reaches through ctx: step results per run and key-value entries per
 * automation. Secrets live in SecretsRepository because only ciphertext is stored there.
 */
export class HostStateRepository {
  constructor(private readonly db: Db) {}

  async getStep(
    workspaceId: string,
    runId: string,
    name: string,
  ): Promise<{ found: true; value: unknown } | { found: false }> {
    const row = await this.db.runStep.findFirst({
      where: { workspaceId, runId, name },
      select: { value: true },
    });
    return row ? { found: true, value: row.value } : { found: false };
  }

  /**
   * First write wins: a step's recorded result never changes once stored. One statement, so writing it
   * again after an error that left unclear whether it landed (the connection dropped mid-commit) is
   * harmless: the caller retries it while the database is away (a step's side effect already happened).
   * Prisma's upsert here was a transaction (a SELECT, then the INSERT) whose failures mid-restart
   * surfaced as "Transaction already closed", which no caller could tell from a refused value.
   */
  async putStep(
    workspaceId: string,
    runId: string,
    name: string,
    attempt: number,
    value: unknown,
  ): Promise<void> {
    await this.db.sql.execute(Prisma.sql`
      INSERT INTO run_steps (workspace_id, run_id, name, attempt, value)
      VALUES (${workspaceId}::uuid, ${runId}::uuid, ${name}, ${attempt}, ${jsonParam(value ?? null)}::jsonb)
      ON CONFLICT (run_id, name) DO NOTHING`);
  }

  async getKv(workspaceId: string, automationId: string, key: string): Promise<unknown> {
    const row = await this.db.kvEntry.findFirst({
      where: { workspaceId, automationId, key },
      select: { value: true },
    });
    return row?.value;
  }

  async setKv(workspaceId: string, automationId: string, key: string, value: unknown): Promise<void> {
    await this.db.kvEntry.upsert({
      where: { automationId_key: { automationId, key } },
      create: { workspaceId, automationId, key, value: asJson(value) },
      update: { value: asJson(value) },
    });
  }

  async deleteKv(workspaceId: string, automationId: string, key: string): Promise<void> {
    await this.db.kvEntry.deleteMany({ where: { workspaceId, automationId, key } });
  }
}
