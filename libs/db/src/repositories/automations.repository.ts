import { DomainError, ErrorCodes, type Manifest, NotFoundError, type ScriptLanguage } from '@mendflow/common';
import { type Cursor, decodeCursor, encodeCursor } from '../cursor';
import type { Prisma } from '../generated/prisma/client';
import type { Db } from '../database';
import { isRecordNotFound, isUniqueViolation } from '../errors';
import { asJson } from '../json';
import { syncTriggers } from './triggers.repository';

export type VersionAuthorKind = 'user' | 'repair';

export interface VersionRecord {
  id: string;
  automationId: string;
  number: number;
  /** As written: a TypeScript version keeps its TypeScript. */
  source: string;
  language: ScriptLanguage;
  manifest: Manifest;
  createdByKind: VersionAuthorKind;
  createdBy: string;
  createdAt: Date;
}

export interface AutomationRecord {
  id: string;
  workspaceId: string;
  name: string;
  description: string | null;
  status: 'active' | 'paused';
  latestVersion: number;
  deployedVersion: VersionRecord | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewVersion {
  source: string;
  language: ScriptLanguage;
  manifest: Manifest;
  createdByKind: VersionAuthorKind;
  createdBy: string;
}

/**
 * Every route, list and trigger sees `standard` automations only: the one `exploration` automation of a
 * workspace (the snippets agents run through MCP `execute`, docs/mcp.md) is reached by its runs alone.
 */
const STANDARD = 'standard';
const EXPLORATION = 'exploration';
/** Its name starts with a space, which no automation name can (names are trimmed), so it never collides. */
const EXPLORATION_NAME = ' exploration';

const automationNotFound = (id: string) =>
  new NotFoundError(ErrorCodes.AUTOMATION_NOT_FOUND, 'automation', id);

export class AutomationsRepository {
  constructor(private readonly db: Db) {}

  /** Creates the automation with version 1 deployed, in one transaction. */
  async create(
    workspaceId: string,
    input: { name: string; description?: string } & NewVersion,
  ): Promise<AutomationRecord> {
    try {
      const id = await this.db.$transaction(async (tx) => {
        const automation = await tx.automation.create({
          data: { workspaceId, name: input.name, description: input.description ?? null, latestVersion: 1 },
        });
        const version = await tx.automationVersion.create({
          data: {
            workspaceId,
            automationId: automation.id,
            number: 1,
            source: input.source,
            language: input.language,
            manifest: asJson(input.manifest),
            createdByKind: input.createdByKind,
            createdBy: input.createdBy,
          },
        });
        await tx.automation.update({ where: { id: automation.id }, data: { deployedVersionId: version.id } });
        await syncTriggers(tx, automation.id);
        return automation.id;
      });
      return this.get(workspaceId, id);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError(
          ErrorCodes.AUTOMATION_NAME_TAKEN,
          'conflict',
          `an automation named "${input.name}" already exists`,
          { field: 'name' },
        );
      }
      throw error;
    }
  }

  /** A new immutable version, deployed at once (a new version is a new deploy). */
  async addVersion(workspaceId: string, automationId: string, input: NewVersion): Promise<VersionRecord> {
    try {
      const version = await this.db.$transaction(async (tx) => {
        const created = await recordNextVersion(
          tx,
          { id: automationId, workspaceId, deletedAt: null, kind: STANDARD },
          input,
        );
        await tx.automation.update({ where: { id: automationId }, data: { deployedVersionId: created.id } });
        await syncTriggers(tx, automationId);
        return created;
      });
      return toVersion(version);
    } catch (error) {
      if (isRecordNotFound(error)) throw automationNotFound(automationId);
      throw error;
    }
  }

  /** Renames, describes, pauses or resumes; the deployed code is untouched. */
  async update(
    workspaceId: string,
    id: string,
    patch: { name?: string; description?: string | null; status?: 'active' | 'paused' },
  ): Promise<AutomationRecord> {
    try {
      await this.db.$transaction(async (tx) => {
        const { count } = await tx.automation.updateMany({
          where: { id, workspaceId, deletedAt: null, kind: STANDARD },
          data: patch,
        });
        if (count === 0) throw automationNotFound(id);
        // Pausing stops its schedules, webhook and event subscriptions; resuming restores them.
        if (patch.status !== undefined) await syncTriggers(tx, id);
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError(
          ErrorCodes.AUTOMATION_NAME_TAKEN,
          'conflict',
          `an automation named "${patch.name}" already exists`,
          {
            field: 'name',
          },
        );
      }
      throw error;
    }
    return this.get(workspaceId, id);
  }

  /** Soft delete: history (runs, versions) stays readable by id; the name becomes free again. */
  async remove(workspaceId: string, id: string): Promise<void> {
    const automation = await this.get(workspaceId, id);
    await this.db.$transaction(async (tx) => {
      await tx.automation.updateMany({
        where: { id, workspaceId },
        data: {
          deletedAt: new Date(),
          status: 'paused',
          name: `${automation.name} (deleted ${id.slice(0, 8)})`,
        },
      });
      await syncTriggers(tx, id);
    });
  }

  /** Re-points the deployed version to an existing one (a rollback is a deploy too). */
  async deployVersion(workspaceId: string, automationId: string, number: number): Promise<VersionRecord> {
    await this.get(workspaceId, automationId);
    const version = await this.db.automationVersion.findFirst({
      where: { workspaceId, automationId, number },
    });
    if (!version) throw new NotFoundError('VERSION_NOT_FOUND', 'version', String(number));
    await this.db.$transaction(async (tx) => {
      await tx.automation.updateMany({
        where: { id: automationId, workspaceId },
        data: { deployedVersionId: version.id },
      });
      await syncTriggers(tx, automationId);
    });
    return toVersion(version);
  }

  async get(workspaceId: string, id: string): Promise<AutomationRecord> {
    const row = await this.db.automation.findFirst({
      where: { id, workspaceId, deletedAt: null, kind: STANDARD },
      include: { deployedVersion: true },
    });
    if (!row) throw automationNotFound(id);
    return toAutomation(row);
  }

  async list(
    workspaceId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: AutomationRecord[]; nextCursor: string | null }> {
    const after: Cursor | undefined = page.cursor ? decodeCursor(page.cursor) : undefined;
    const rows = await this.db.automation.findMany({
      where: {
        workspaceId,
        deletedAt: null,
        kind: STANDARD,
        ...(after && {
          OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
        }),
      },
      include: { deployedVersion: true },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: page.limit + 1,
    });
    const items = rows.slice(0, page.limit).map(toAutomation);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last) : null };
  }

  /**
   * Records an executed snippet as the next version of the workspace's exploration automation (created on
   * first use). No trigger follows it and it is never deployed: its runs are queued by version id.
   */
  async addExplorationVersion(workspaceId: string, input: NewVersion): Promise<VersionRecord> {
    const automationId = await this.explorationAutomationId(workspaceId);
    const version = await this.db.$transaction((tx) => recordNextVersion(tx, { id: automationId }, input));
    return toVersion(version);
  }

  private async explorationAutomationId(workspaceId: string): Promise<string> {
    const where = { workspaceId, kind: EXPLORATION };
    const found = await this.db.automation.findFirst({ where, select: { id: true } });
    if (found) return found.id;
    try {
      const created = await this.db.automation.create({
        data: {
          workspaceId,
          kind: EXPLORATION,
          name: EXPLORATION_NAME,
          description: 'Snippets run by agents through MCP execute',
        },
      });
      return created.id;
    } catch (error) {
      // Two first executions at once: the other one created it.
      if (!isUniqueViolation(error)) throw error;
      const again = await this.db.automation.findFirst({ where, select: { id: true } });
      if (!again) throw error;
      return again.id;
    }
  }

  async listVersions(workspaceId: string, automationId: string): Promise<VersionRecord[]> {
    await this.get(workspaceId, automationId);
    const rows = await this.db.automationVersion.findMany({
      where: { workspaceId, automationId },
      orderBy: { number: 'desc' },
    });
    return rows.map(toVersion);
  }

  async getVersion(workspaceId: string, versionId: string): Promise<VersionRecord | null> {
    const row = await this.db.automationVersion.findFirst({ where: { id: versionId, workspaceId } });
    return row ? toVersion(row) : null;
  }
}

type VersionRow = {
  id: string;
  automationId: string;
  number: number;
  source: string;
  language: string;
  manifest: unknown;
  createdByKind: string;
  createdBy: string;
  createdAt: Date;
};

/**
 * Takes the automation's next version number and records the version under it; whether it is deployed,
 * and which triggers follow, is the caller's (a deploy does both, an exploration snippet neither).
 */
async function recordNextVersion(
  tx: Prisma.TransactionClient,
  automation: Prisma.AutomationWhereUniqueInput,
  input: NewVersion,
): Promise<VersionRow> {
  const { id, workspaceId, latestVersion } = await tx.automation.update({
    where: automation,
    data: { latestVersion: { increment: 1 } },
  });
  return tx.automationVersion.create({
    data: {
      workspaceId,
      automationId: id,
      number: latestVersion,
      source: input.source,
      language: input.language,
      manifest: asJson(input.manifest),
      createdByKind: input.createdByKind,
      createdBy: input.createdBy,
    },
  });
}

function toVersion(row: VersionRow): VersionRecord {
  return {
    id: row.id,
    automationId: row.automationId,
    number: row.number,
    source: row.source,
    language: row.language as ScriptLanguage,
    manifest: row.manifest as Manifest,
    createdByKind: row.createdByKind as VersionAuthorKind,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
  };
}

function toAutomation(row: {
  id: string;
  workspaceId: string;
  name: string;
  description: string | null;
  status: string;
  latestVersion: number;
  createdAt: Date;
  updatedAt: Date;
  deployedVersion: VersionRow | null;
}): AutomationRecord {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    description: row.description,
    status: row.status as AutomationRecord['status'],
    latestVersion: row.latestVersion,
    deployedVersion: row.deployedVersion ? toVersion(row.deployedVersion) : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
