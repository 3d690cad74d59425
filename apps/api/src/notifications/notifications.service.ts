import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { parseOrThrow, SecretBox, ValidationError } from '@mendflow/common';
import { type NotificationChannelRecord, NotificationsRepository } from '@mendflow/db';
import {
  CHANNEL_CONFIG_INPUT,
  channelSecretContext,
  channelTarget,
  DEFAULT_TOPICS,
  generateSigningSecret,
  NotificationSendError,
  sendNotification,
  splitConfig,
  testMessage,
} from '@mendflow/notify';
import { AuditTrail } from '../audit/audit-trail.service';
import type { Principal } from '../auth/principal';
import { API_CONFIG, type ApiConfig } from '../config/api-config';
import { SECRET_BOX } from '../secrets/secret-box.provider';
import type { CreateChannelBody, ListDeliveriesQuery, UpdateChannelBody } from './notification-bodies';

/** A test send answers the dashboard while someone waits: shorter than a delivery's own timeout. */
const TEST_TIMEOUT_MS = 5000;

/**
 * Notification channels of a workspace. A channel's secret (webhook signing secret, Slack URL, SMTP
 * password) is sealed with the channel's own context and never leaves the API again, except a webhook
 * signing secret in the one answer that creates (or rotates) it, like an API key.
 */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly notifications: NotificationsRepository,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly audit: AuditTrail,
  ) {}

  list(principal: Principal): Promise<NotificationChannelRecord[]> {
    return this.notifications.listChannels(principal.workspaceId);
  }

  async create(
    principal: Principal,
    body: CreateChannelBody,
  ): Promise<{ channel: NotificationChannelRecord; signingSecret?: string }> {
    const id = randomUUID();
    const { config, secret: configSecret } = splitConfig(body.kind, body.config);
    const signingSecret = body.kind === 'webhook' ? generateSigningSecret() : undefined;
    const secret = signingSecret ?? configSecret ?? (body.kind === 'email' ? body.password : undefined);
    if (body.kind === 'email') checkSmtpCredentials(config, body.password);
    const channel = await this.notifications.createChannel(principal.workspaceId, {
      id,
      name: body.name,
      kind: body.kind,
      config,
      secretCiphertext: secret ? this.seal(principal.workspaceId, id, secret) : null,
      topics: body.topics ?? DEFAULT_TOPICS,
      enabled: body.enabled ?? true,
    });
    await this.record(principal, 'notification_channel.created', channel);
    return { channel, ...(signingSecret && { signingSecret }) };
  }

  async update(
    principal: Principal,
    id: string,
    body: UpdateChannelBody,
  ): Promise<{ channel: NotificationChannelRecord; signingSecret?: string }> {
    const current = await this.notifications.getChannel(principal.workspaceId, id);
    if (body.rotateSecret && current.kind !== 'webhook') {
      throw new ValidationError([
        { path: 'rotateSecret', message: 'only a webhook channel has a signing secret' },
      ]);
    }
    if (body.password !== undefined && current.kind !== 'email') {
      throw new ValidationError([{ path: 'password', message: 'only an email channel has a password' }]);
    }
    let config: Record<string, unknown> | undefined;
    let secret: string | null | undefined;
    if (body.config) {
      const parsed = parseOrThrow(CHANNEL_CONFIG_INPUT[current.kind], body.config, { prefix: 'config' });
      const split = splitConfig(current.kind, parsed);
      config = split.config;
      if (split.secret) secret = split.secret;
    }
    const signingSecret = body.rotateSecret ? generateSigningSecret() : undefined;
    if (signingSecret) secret = signingSecret;
    if (body.password !== undefined) secret = body.password;
    if (current.kind === 'email') {
      const password = secret === undefined ? current.secretCiphertext !== null : secret !== null;
      checkSmtpCredentials(config ?? current.config, password ? 'set' : undefined);
    }
    const channel = await this.notifications.updateChannel(principal.workspaceId, id, {
      ...(body.name !== undefined && { name: body.name }),
      ...(body.topics && { topics: body.topics }),
      ...(body.enabled !== undefined && { enabled: body.enabled }),
      ...(config && { config }),
      ...(secret !== undefined && {
        secretCiphertext: secret === null ? null : this.seal(principal.workspaceId, id, secret),
      }),
    });
    await this.record(principal, 'notification_channel.updated', channel, {
      changed: Object.keys(body).filter((key) => key !== 'password' && key !== 'rotateSecret'),
      secretReplaced: secret !== undefined,
    });
    return { channel, ...(signingSecret && { signingSecret }) };
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const channel = await this.notifications.deleteChannel(principal.workspaceId, id);
    await this.record(principal, 'notification_channel.deleted', channel);
  }

  /** Sends a test message now, whatever the channel's topics; nothing is recorded as a delivery. */
  async test(principal: Principal, id: string): Promise<{ delivered: boolean; error?: string }> {
    const channel = await this.notifications.getChannel(principal.workspaceId, id);
    try {
      const secret = channel.secretCiphertext
        ? this.box.open(channel.secretCiphertext, channelSecretContext(principal.workspaceId, id))
        : null;
      const target = channelTarget(channel.kind, channel.config, secret);
      await sendNotification(target, testMessage(channel.name, { webUrl: this.config.MENDFLOW_WEB_URL }), {
        deliveryId: randomUUID(),
        timeoutMs: TEST_TIMEOUT_MS,
      });
      return { delivered: true };
    } catch (error) {
      if (error instanceof NotificationSendError) return { delivered: false, error: error.message };
      throw error;
    }
  }

  listDeliveries(principal: Principal, query: ListDeliveriesQuery) {
    const { limit, cursor, ...filter } = query;
    return this.notifications.listDeliveries(principal.workspaceId, filter, { limit, cursor });
  }

  private seal(workspaceId: string, channelId: string, secret: string): string {
    return this.box.seal(secret, channelSecretContext(workspaceId, channelId));
  }

  /** Names, kinds and topics: never a secret (nor the URL, which may carry a token). */
  private record(
    principal: Principal,
    action: string,
    channel: NotificationChannelRecord,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    return this.audit.record(principal, {
      action,
      targetKind: 'notification_channel',
      targetId: channel.id,
      data: {
        name: channel.name,
        kind: channel.kind,
        topics: channel.topics,
        enabled: channel.enabled,
        ...data,
      },
    });
  }
}

/** A password without a user (or the other way round) would fail every send; say so now. */
function checkSmtpCredentials(config: Record<string, unknown>, password: string | undefined): void {
  const user = (config.smtp as { user?: string } | undefined)?.user;
  if (password && !user) {
    throw new ValidationError([{ path: 'config.smtp.user', message: 'is required with a password' }]);
  }
  if (user && !password) {
    throw new ValidationError([{ path: 'password', message: 'is required with config.smtp.user' }]);
  }
}
