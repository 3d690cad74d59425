import { DomainError, NotFoundError } from '@mendflow/common';
import type { DeliveryStatus, NotificationChannelKind, NotificationTopic } from '@mendflow/contracts';
import { Prisma } from '../generated/prisma/client';
import { decodeCursor, encodeCursor } from '../cursor';
import type { Db } from '../database';
import { isUniqueViolation } from '../errors';
import { asJson, jsonParam } from '../json';

export interface NotificationChannelRecord {
  id: string;
  workspaceId: string;
  name: string;
  kind: NotificationChannelKind;
  /** What is not secret (see @mendflow/notify CHANNEL_CONFIG_STORED). */
  config: Record<string, unknown>;
  /** The sealed secret (SecretBox); the caller opens it, the repository never sees it in clear. */
  secretCiphertext: string | null;
  topics: NotificationTopic[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NotificationDeliveryRecord {
  id: string;
  workspaceId: string;
  channelId: string;
  channelName: string;
  topic: NotificationTopic;
  subjectId: string;
  runId: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  message: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

export const channelNotFound = (id: string) =>
  new NotFoundError('NOTIFICATION_CHANNEL_NOT_FOUND', 'notification channel', id);

const nameTaken = (name: string) =>
  new DomainError(
    'NOTIFICATION_CHANNEL_NAME_TAKEN',
    'conflict',
    `name: a notification channel named ${name} already exists`,
    { field: 'name', name },
  );

type ChannelRow = Prisma.NotificationChannelGetPayload<object>;

function toChannel(row: ChannelRow): NotificationChannelRecord {
  return {
    ...row,
    kind: row.kind as NotificationChannelKind,
    config: row.config as Record<string, unknown>,
    topics: row.topics as NotificationTopic[],
  };
}

/** Channels a workspace configures and the deliveries made through them; secrets stay sealed here. */
export class NotificationsRepository {
  constructor(private readonly db: Db) {}

  // ---- channels ----

  async listChannels(workspaceId: string): Promise<NotificationChannelRecord[]> {
    const rows = await this.db.notificationChannel.findMany({
      where: { workspaceId },
      orderBy: { name: 'asc' },
    });
    return rows.map(toChannel);
  }

  async getChannel(workspaceId: string, id: string): Promise<NotificationChannelRecord> {
    const row = await this.db.notificationChannel.findFirst({ where: { workspaceId, id } });
    if (!row) throw channelNotFound(id);
    return toChannel(row);
  }

  /** The id is the caller's: the secret is sealed for it (secretContext) before the row exists. */
  async createChannel(
    workspaceId: string,
    input: {
      id: string;
      name: string;
      kind: NotificationChannelKind;
      config: Record<string, unknown>;
      secretCiphertext: string | null;
      topics: NotificationTopic[];
      enabled: boolean;
    },
  ): Promise<NotificationChannelRecord> {
    try {
      return toChannel(
        await this.db.notificationChannel.create({
          data: { workspaceId, ...input, config: asJson(input.config) },
        }),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(input.name);
      throw error;
    }
  }

  async updateChannel(
    workspaceId: string,
    id: string,
    update: Partial<{
      name: string;
      config: Record<string, unknown>;
      secretCiphertext: string | null;
      topics: NotificationTopic[];
      enabled: boolean;
    }>,
  ): Promise<NotificationChannelRecord> {
    try {
      const { config, ...rest } = update;
      const { count } = await this.db.notificationChannel.updateMany({
        where: { workspaceId, id },
        data: { ...rest, ...(config && { config: asJson(config) }), updatedAt: new Date() },
      });
      if (count === 0) throw channelNotFound(id);
    } catch (error) {
      if (update.name && isUniqueViolation(error)) throw nameTaken(update.name);
      throw error;
    }
    return this.getChannel(workspaceId, id);
  }

  /** Its deliveries go with it (ON DELETE CASCADE). */
  async deleteChannel(workspaceId: string, id: string): Promise<NotificationChannelRecord> {
    const channel = await this.getChannel(workspaceId, id);
    await this.db.notificationChannel.deleteMany({ where: { workspaceId, id } });
    return channel;
  }

  /** The names among `names` that no channel of the workspace has (a manifest naming a typo). */
  async unknownChannelNames(workspaceId: string, names: readonly string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const found = await this.db.notificationChannel.findMany({
      where: { workspaceId, name: { in: [...names] } },
      select: { name: true },
    });
    const known = new Set(found.map((row) => row.name));
    return names.filter((name) => !known.has(name));
  }

  /** Enabled channels told about `topic`, optionally only those named. */
  async channelsFor(
    workspaceId: string,
    topic: NotificationTopic,
    names?: readonly string[],
  ): Promise<NotificationChannelRecord[]> {
    const rows = await this.db.notificationChannel.findMany({
      where: {
        workspaceId,
        enabled: true,
        topics: { has: topic },
        ...(names && { name: { in: [...names] } }),
      },
    });
    return rows.map(toChannel);
  }

  // ---- deliveries ----

  /**
   * One pending delivery per channel for the subject; a channel that already has one for it keeps it
   * (the unique key: a repeated dispatch adds nothing). Returns every delivery of the subject to these
   * channels still pending, new or not, so a repeated dispatch also re-enqueues what was lost.
   */
  async createDeliveries(
    workspaceId: string,
    input: {
      topic: NotificationTopic;
      subjectId: string;
      runId: string | null;
      channelIds: readonly string[];
      message: unknown;
    },
  ): Promise<string[]> {
    if (input.channelIds.length === 0) return [];
    await this.db.$executeRaw`
      INSERT INTO notification_deliveries (workspace_id, channel_id, topic, subject_id, run_id, message)
      SELECT ${workspaceId}::uuid, c.id, ${input.topic}, ${input.subjectId}::uuid, ${input.runId}::uuid,
             ${jsonParam(input.message)}::jsonb
      FROM notification_channels c
      WHERE c.workspace_id = ${workspaceId}::uuid AND c.id = ANY(${[...input.channelIds]}::uuid[])
      ON CONFLICT (channel_id, topic, subject_id) DO NOTHING`;
    const pending = await this.db.notificationDelivery.findMany({
      where: {
        workspaceId,
        topic: input.topic,
        subjectId: input.subjectId,
        channelId: { in: [...input.channelIds] },
        status: 'pending',
      },
      select: { id: true },
    });
    return pending.map((row) => row.id);
  }

  async getDelivery(workspaceId: string, id: string): Promise<NotificationDeliveryRecord | null> {
    const rows = await this.selectDeliveries(
      Prisma.sql`d.workspace_id = ${workspaceId}::uuid AND d.id = ${id}::uuid`,
      1,
    );
    return rows[0] ?? null;
  }

  async markDelivered(workspaceId: string, id: string): Promise<void> {
    await this.db.$executeRaw`
      UPDATE notification_deliveries
      SET status = 'delivered', attempts = attempts + 1, last_error = NULL, delivered_at = now(), updated_at = now()
      WHERE workspace_id = ${workspaceId}::uuid AND id = ${id}::uuid AND status = 'pending'`;
  }

  /** An attempt failed: recorded with its (scrubbed) reason; `final` ends the delivery failed. */
  async recordFailure(workspaceId: string, id: string, error: string, final: boolean): Promise<void> {
    await this.db.$executeRaw`
      UPDATE notification_deliveries
      SET attempts = attempts + 1, last_error = ${error}, updated_at = now(),
          status = CASE WHEN ${final} THEN 'failed' ELSE status END
      WHERE workspace_id = ${workspaceId}::uuid AND id = ${id}::uuid AND status = 'pending'`;
  }

  /** Pending deliveries nobody touched for `olderThanMs`: their job may be gone (the reconciler checks). */
  async findStalePending(olderThanMs: number, limit: number): Promise<{ id: string; workspaceId: string }[]> {
    return this.db.$queryRaw<{ id: string; workspaceId: string }[]>`
      SELECT id, workspace_id AS "workspaceId" FROM notification_deliveries
      WHERE status = 'pending' AND updated_at < now() - make_interval(secs => ${olderThanMs / 1000})
      ORDER BY updated_at LIMIT ${limit}`;
  }

  /**
   * Open inbox items of the last day, older than `olderThanMs`, that no channel was told about although
   * the workspace has an enabled channel for `inbox.opened`: their dispatch job was lost (Redis lost
   * it between the engine's commit and the job). Items narrowed away by their manifest come back too;
   * dispatching them again records nothing.
   */
  async findUndispatchedInboxItems(
    olderThanMs: number,
    limit: number,
  ): Promise<{ id: string; workspaceId: string }[]> {
    return this.db.$queryRaw<{ id: string; workspaceId: string }[]>`
      SELECT i.id, i.workspace_id AS "workspaceId" FROM inbox_items i
      WHERE i.status = 'open'
        AND i.created_at < now() - make_interval(secs => ${olderThanMs / 1000})
        AND i.created_at > now() - interval '1 day'
        AND NOT EXISTS (SELECT 1 FROM notification_deliveries d
                        WHERE d.subject_id = i.id AND d.topic = 'inbox.opened')
        AND EXISTS (SELECT 1 FROM notification_channels c
                    WHERE c.workspace_id = i.workspace_id AND c.enabled AND 'inbox.opened' = ANY(c.topics))
      ORDER BY i.created_at LIMIT ${limit}`;
  }

  /** Newest first, keyset-paginated like runs. */
  async listDeliveries(
    workspaceId: string,
    filter: { channelId?: string; status?: DeliveryStatus; subjectId?: string },
    page: { limit: number; cursor?: string },
  ): Promise<{ items: NotificationDeliveryRecord[]; nextCursor: string | null }> {
    const conditions = [Prisma.sql`d.workspace_id = ${workspaceId}::uuid`];
    if (filter.channelId) conditions.push(Prisma.sql`d.channel_id = ${filter.channelId}::uuid`);
    if (filter.status) conditions.push(Prisma.sql`d.status = ${filter.status}`);
    if (filter.subjectId) conditions.push(Prisma.sql`d.subject_id = ${filter.subjectId}::uuid`);
    if (page.cursor) {
      const after = decodeCursor(page.cursor);
      conditions.push(Prisma.sql`(d.created_at, d.id) < (${after.createdAt}, ${after.id}::uuid)`);
    }
    const rows = await this.selectDeliveries(Prisma.join(conditions, ' AND '), page.limit + 1);
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last) : null };
  }

  private selectDeliveries(where: Prisma.Sql, limit: number): Promise<NotificationDeliveryRecord[]> {
    return this.db.$queryRaw<NotificationDeliveryRecord[]>`
      SELECT d.id, d.workspace_id AS "workspaceId", d.channel_id AS "channelId", c.name AS "channelName",
             d.topic, d.subject_id AS "subjectId", d.run_id AS "runId", d.status, d.attempts,
             d.last_error AS "lastError", d.message, d.created_at AS "createdAt", d.updated_at AS "updatedAt",
             d.delivered_at AS "deliveredAt"
      FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id
      WHERE ${where}
      ORDER BY d.created_at DESC, d.id DESC
      LIMIT ${limit}`;
  }
}
