import type { RepairStatus } from '@mendflow/contracts';
import { NotFoundError } from '@mendflow/common';
import type { Db } from '../database';
import type { Prisma } from '../generated/prisma/client';
import { asJson } from '../json';

/** A repair's status: REPAIR_STATUSES in @mendflow/contracts, moved by the worker's repair machine. */
export type { RepairStatus } from '@mendflow/contracts';

export interface RepairRecord {
  id: string;
  automationId: string;
  runId: string;
  attempt: number;
  baseVersionId: string;
  status: RepairStatus;
  provider: string;
  model: string | null;
  candidateSource: string | null;
  diff: string | null;
  explanation: string | null;
  validation: unknown;
  deployedVersionId: string | null;
  prompt: unknown;
  answer: string | null;
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RepairUpdate {
  status?: RepairStatus;
  model?: string | null;
  candidateSource?: string;
  diff?: string;
  explanation?: string;
  validation?: unknown;
  deployedVersionId?: string;
  prompt?: unknown;
  answer?: string;
  promptTokens?: number;
  completionTokens?: number;
  costUsd?: number | null;
  error?: string | null;
}

const DAY_MS = 86_400_000;

export class RepairsRepository {
  constructor(private readonly db: Db) {}

  async create(
    workspaceId: string,
    input: { automationId: string; runId: string; attempt: number; baseVersionId: string; provider: string },
  ): Promise<RepairRecord> {
    return toRecord(await this.db.repair.create({ data: { workspaceId, ...input, status: 'requested' } }));
  }

  async update(workspaceId: string, id: string, update: RepairUpdate): Promise<void> {
    await this.db.repair.updateMany({ where: { id, workspaceId }, data: toData(update) });
  }

  /**
   * Moves a repair from `from` to `to` (with `update`) only if it is still `from`: one conditional
   * UPDATE, so a redelivered job or a second worker cannot make the same move twice. False when the
   * repair was not `from` any more (nothing changed).
   */
  async transition(
    workspaceId: string,
    id: string,
    from: RepairStatus,
    to: RepairStatus,
    update: Omit<RepairUpdate, 'status'> = {},
  ): Promise<boolean> {
    const { count } = await this.db.repair.updateMany({
      where: { id, workspaceId, status: from },
      data: toData({ ...update, status: to }),
    });
    return count === 1;
  }

  async get(workspaceId: string, id: string): Promise<RepairRecord> {
    const row = await this.db.repair.findFirst({ where: { id, workspaceId } });
    if (!row) throw new NotFoundError('REPAIR_NOT_FOUND', 'repair', id);
    return toRecord(row);
  }

  async list(
    workspaceId: string,
    filter: { automationId?: string; runId?: string; limit: number },
  ): Promise<RepairRecord[]> {
    const rows = await this.db.repair.findMany({
      where: {
        workspaceId,
        ...(filter.automationId && { automationId: filter.automationId }),
        ...(filter.runId && { runId: filter.runId }),
      },
      orderBy: { createdAt: 'desc' },
      take: filter.limit,
    });
    return rows.map(toRecord);
  }

  /** Repairs requested for an automation in the last 24 hours (the maxPerDay budget). */
  countLastDay(workspaceId: string, automationId: string): Promise<number> {
    return this.db.repair.count({
      where: { workspaceId, automationId, createdAt: { gte: new Date(Date.now() - DAY_MS) } },
    });
  }

  async lastFailedAt(workspaceId: string, automationId: string): Promise<Date | null> {
    const row = await this.db.repair.findFirst({
      where: { workspaceId, automationId, status: 'failed' },
      orderBy: { updatedAt: 'desc' },
      select: { updatedAt: true },
    });
    return row?.updatedAt ?? null;
  }

  /** Tokens spent by the workspace's repairs in the last 24 hours (the workspace token budget). */
  async tokensLastDay(workspaceId: string): Promise<number> {
    const sum = await this.db.repair.aggregate({
      where: { workspaceId, createdAt: { gte: new Date(Date.now() - DAY_MS) } },
      _sum: { promptTokens: true, completionTokens: true },
    });
    return (sum._sum.promptTokens ?? 0) + (sum._sum.completionTokens ?? 0);
  }
}

function toData(update: RepairUpdate): Prisma.RepairUpdateManyMutationInput {
  const data: Prisma.RepairUpdateManyMutationInput = { updatedAt: new Date() };
  for (const [key, value] of Object.entries(update)) {
    if (value === undefined) continue;
    (data as Record<string, unknown>)[key] = key === 'validation' || key === 'prompt' ? asJson(value) : value;
  }
  return data;
}

function toRecord(row: Awaited<ReturnType<Db['repair']['create']>>): RepairRecord {
  return { ...row, status: row.status as RepairStatus };
}
