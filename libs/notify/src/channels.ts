import { secretContext } from '@mendflow/common';
import {
  NOTIFICATION_TOPICS,
  type NotificationChannelKind,
  type NotificationTopic,
} from '@mendflow/contracts';
import { z } from 'zod';

/**
 * What a channel is, per kind: the config a client writes, the config stored in
 * notification_channels.config (never a credential), and the one secret stored encrypted beside it
 * (secret_ciphertext): a webhook's signing secret, a Slack incoming-webhook URL (the URL is the
 * credential), an SMTP password.
 */

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2000, 'must be at most 2000 characters');

const email = z.email({ error: 'must be an email address' }).max(320);

export const topicsSchema = z
  .array(z.enum(NOTIFICATION_TOPICS, { error: `must be one of ${NOTIFICATION_TOPICS.join(', ')}` }))
  .min(1, 'must name at least one topic')
  .max(NOTIFICATION_TOPICS.length)
  .refine((topics) => new Set(topics).size === topics.length, 'must not repeat a topic');

/** A person is needed: the topic a channel gets unless told otherwise. */
export const DEFAULT_TOPICS: NotificationTopic[] = ['inbox.opened'];

export const webhookConfigSchema = z.strictObject({ url: httpUrl });

/** As written: the URL, which is moved to the secret when stored. */
export const slackConfigInputSchema = z.strictObject({ webhookUrl: httpUrl });
/** As stored: only the host, so a list can say where messages go without holding the credential. */
export const slackConfigSchema = z.strictObject({ host: z.string() });

export const emailConfigSchema = z.strictObject({
  to: z.array(email).min(1, 'must name at least one recipient').max(20),
  from: email,
  smtp: z.strictObject({
    host: z.string().trim().min(1, 'must not be empty').max(255),
    port: z.int().min(1).max(65535),
    /** true: TLS from the first byte (port 465); false: plain, upgraded with STARTTLS when offered. */
    secure: z.boolean(),
    user: z.string().min(1).max(320).optional(),
  }),
});

export type WebhookConfig = z.output<typeof webhookConfigSchema>;
export type SlackConfig = z.output<typeof slackConfigSchema>;
export type EmailConfig = z.output<typeof emailConfigSchema>;

/** The config a client writes, per kind (validated at the edge; the API names the bad field). */
export const CHANNEL_CONFIG_INPUT = {
  webhook: webhookConfigSchema,
  slack: slackConfigInputSchema,
  email: emailConfigSchema,
} as const satisfies Record<NotificationChannelKind, z.ZodType>;

/** The config stored, per kind. */
export const CHANNEL_CONFIG_STORED = {
  webhook: webhookConfigSchema,
  slack: slackConfigSchema,
  email: emailConfigSchema,
} as const satisfies Record<NotificationChannelKind, z.ZodType>;

/** Where a message goes, with its credential: what a sender needs and nothing else. */
export type ChannelTarget =
  | { kind: 'webhook'; url: string; signingSecret: string }
  | { kind: 'slack'; webhookUrl: string }
  | { kind: 'email'; config: EmailConfig; password: string | null };

/** Splits a written config into what is stored in clear and the secret (the Slack URL). */
export function splitConfig(
  kind: NotificationChannelKind,
  input: unknown,
): { config: Record<string, unknown>; secret?: string } {
  switch (kind) {
    case 'webhook':
      return { config: webhookConfigSchema.parse(input) };
    case 'slack': {
      const { webhookUrl } = slackConfigInputSchema.parse(input);
      return { config: { host: new URL(webhookUrl).host }, secret: webhookUrl };
    }
    case 'email':
      return { config: emailConfigSchema.parse(input) };
  }
}

/**
 * The sender's view of a stored channel. Throws when the stored row cannot be used (a config written
 * by hand, a secret missing): the delivery fails with that reason instead of sending half a message.
 */
export function channelTarget(kind: string, storedConfig: unknown, secret: string | null): ChannelTarget {
  switch (kind) {
    case 'webhook': {
      if (!secret) throw new Error('the webhook channel has no signing secret');
      return { kind, url: webhookConfigSchema.parse(storedConfig).url, signingSecret: secret };
    }
    case 'slack': {
      if (!secret) throw new Error('the Slack channel has no webhook URL');
      return { kind, webhookUrl: secret };
    }
    case 'email':
      return { kind, config: emailConfigSchema.parse(storedConfig), password: secret };
    default:
      throw new Error(`unknown channel kind ${kind}`);
  }
}

/**
 * The associated data a channel's secret is sealed with (SecretBox): bound to the workspace and the
 * channel's id, so the ciphertext opens for no other row. Secret names cannot hold ':', so this never
 * matches a workspace secret's context.
 */
export function channelSecretContext(workspaceId: string, channelId: string): string {
  return secretContext(workspaceId, `notification-channel:${channelId}`);
}
