import { ErrorCodes, NotFoundError, type WebhookTriggerConfig } from '@mendflow/common';
import type { Db } from '../database';

/** An automation's webhook token, as the owner sees it: never the token, which exists in clear once. */
export interface WebhookTokenInfo {
  tokenPrefix: string | null;
  createdAt: Date | null;
  /** The webhook trigger in force (deployed, automation active); null when the URL answers 404. */
  trigger: WebhookTriggerConfig | null;
}

/** What the public hook route needs to decide whether a URL is live, before anything else is read. */
export interface WebhookTarget {
  workspaceId: string;
  automationId: string;
  tokenHash: string | null;
  /** The deployed webhook trigger; null when none is in force (none deployed, paused, deleted). */
  trigger: WebhookTriggerConfig | null;
}

const automationNotFound = (id: string) =>
  new NotFoundError(ErrorCodes.AUTOMATION_NOT_FOUND, 'automation', id);

/**
 * Webhook tokens (automations.webhook_token_*) and the lookup behind `POST /api/v1/hooks/:id/:token`.
 * The token's SHA-256 is stored, never the token.
 */
export class WebhooksRepository {
  constructor(private readonly db: Db) {}

  /**
   * The automation a hook URL names, across workspaces: the URL carries no workspace, its token is the
   * credential (the caller compares hashes). The trigger row exists only while the automation is active,
   * not deleted and deploys a webhook trigger (syncTriggers), so one join answers all of that.
   */
  async findTarget(automationId: string): Promise<WebhookTarget | null> {
    const rows = await this.db.$queryRaw<WebhookTarget[]>`
      SELECT a.workspace_id AS "workspaceId", a.id AS "automationId", a.webhook_token_hash AS "tokenHash",
             t.config AS trigger
      FROM automations a
      LEFT JOIN automation_triggers t ON t.automation_id = a.id AND t.kind = 'webhook'
      WHERE a.id = ${automationId}::uuid AND a.deleted_at IS NULL
      LIMIT 1`;
    return rows[0] ?? null;
  }

  /** Sets (or replaces: the old token stops working with this statement) the automation's token. */
  async setToken(
    workspaceId: string,
    automationId: string,
    token: { hash: string; prefix: string },
  ): Promise<{ createdAt: Date; rotated: boolean }> {
    const rows = await this.db.$queryRaw<{ createdAt: Date; rotated: boolean }[]>`
      UPDATE automations a SET webhook_token_hash = ${token.hash}, webhook_token_prefix = ${token.prefix},
             webhook_token_created_at = now()
      FROM (SELECT id, webhook_token_hash IS NOT NULL AS had FROM automations
            WHERE id = ${automationId}::uuid FOR UPDATE) old
      WHERE a.id = old.id AND a.workspace_id = ${workspaceId}::uuid AND a.deleted_at IS NULL
      RETURNING a.webhook_token_created_at AS "createdAt", old.had AS rotated`;
    const row = rows[0];
    if (!row) throw automationNotFound(automationId);
    return row;
  }

  async getTokenInfo(workspaceId: string, automationId: string): Promise<WebhookTokenInfo> {
    const rows = await this.db.$queryRaw<WebhookTokenInfo[]>`
      SELECT a.webhook_token_prefix AS "tokenPrefix", a.webhook_token_created_at AS "createdAt", t.config AS trigger
      FROM automations a
      LEFT JOIN automation_triggers t ON t.automation_id = a.id AND t.kind = 'webhook'
      WHERE a.id = ${automationId}::uuid AND a.workspace_id = ${workspaceId}::uuid AND a.deleted_at IS NULL
      LIMIT 1`;
    const row = rows[0];
    if (!row) throw automationNotFound(automationId);
    return row;
  }
}
