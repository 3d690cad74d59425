import { listQuery } from '@mendflow/common';
import { DELIVERY_STATUSES } from '@mendflow/contracts';
import { CHANNEL_CONFIG_INPUT, topicsSchema } from '@mendflow/notify';
import { z } from 'zod';

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

const common = { name, topics: topicsSchema.optional(), enabled: z.boolean().optional() };

/** One body per kind: the secret a kind has is written where it belongs (or generated: webhook). */
export const createChannelBody = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ ...common, kind: z.literal('webhook'), config: CHANNEL_CONFIG_INPUT.webhook }),
    z.strictObject({ ...common, kind: z.literal('slack'), config: CHANNEL_CONFIG_INPUT.slack }),
    z.strictObject({
      ...common,
      kind: z.literal('email'),
      config: CHANNEL_CONFIG_INPUT.email,
      /** The SMTP password (with config.smtp.user); stored encrypted, never returned. */
      password: z.string().min(1, 'must not be empty').max(1000).optional(),
    }),
  ],
  { error: 'must be one of webhook, slack, email' },
);
export type CreateChannelBody = z.output<typeof createChannelBody>;

/**
 * Every field optional. `config` replaces the whole config and is checked against the channel's kind
 * (a Slack config's webhookUrl replaces the stored URL); `password` (email; null removes it) and
 * `rotateSecret` (webhook: a new signing secret, in this answer only) replace the secret.
 */
export const updateChannelBody = z
  .strictObject({
    name: name.optional(),
    topics: topicsSchema.optional(),
    enabled: z.boolean().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    password: z.string().min(1, 'must not be empty').max(1000).nullable().optional(),
    rotateSecret: z.literal(true).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field');
export type UpdateChannelBody = z.output<typeof updateChannelBody>;

export const listDeliveriesQuery = listQuery.extend({
  channelId: z.uuid().optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  /** The inbox item, run or repair a delivery is about. */
  subjectId: z.uuid().optional(),
});
export type ListDeliveriesQuery = z.output<typeof listDeliveriesQuery>;
