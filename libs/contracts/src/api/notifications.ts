import { z } from 'zod';
import { DELIVERY_STATUSES, NOTIFICATION_CHANNEL_KINDS, NOTIFICATION_TOPICS } from '../triggers';
import { isoDateTime, listOf, nullableDateTime, pageOf } from './common';

/** A channel without its secret: only whether it has one, and a URL with any credentials masked. */
export const notificationChannelSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(NOTIFICATION_CHANNEL_KINDS),
    topics: z.array(z.enum(NOTIFICATION_TOPICS)),
    enabled: z.boolean(),
    hasSecret: z.boolean(),
    /** Per kind: webhook `{ url }`, slack `{ host }`, email `{ to, from, smtp }`. */
    config: z.record(z.string(), z.unknown()),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'NotificationChannel' });
export const notificationChannelListSchema = listOf(notificationChannelSchema).meta({
  id: 'NotificationChannelList',
});
/** Creating (or rotating) a webhook channel's secret answers it this once. */
export const savedNotificationChannelSchema = notificationChannelSchema
  .extend({ signingSecret: z.string().optional() })
  .meta({ id: 'SavedNotificationChannel' });
export const notificationTestSchema = z
  .object({ delivered: z.boolean(), error: z.string().optional() })
  .meta({ id: 'NotificationTestResult' });

export const notificationDeliverySchema = z
  .object({
    id: z.uuid(),
    channelId: z.uuid(),
    channelName: z.string(),
    topic: z.enum(NOTIFICATION_TOPICS),
    subjectId: z.string(),
    runId: z.uuid().nullable(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.int(),
    lastError: z.string().nullable(),
    message: z.unknown(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
    deliveredAt: nullableDateTime,
  })
  .meta({ id: 'NotificationDelivery' });
export const notificationDeliveryPageSchema = pageOf(notificationDeliverySchema).meta({
  id: 'NotificationDeliveryPage',
});
