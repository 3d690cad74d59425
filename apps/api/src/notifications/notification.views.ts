import type { NotificationChannelRecord, NotificationDeliveryRecord } from '@mendflow/db';

/**
 * Without its credentials: a query string (often a token) and any user:password are masked. The
 * stored config holds no secret by construction; this covers a token an admin put in the URL.
 */
function displayUrl(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  try {
    const url = new URL(raw);
    const masked = `${url.protocol}//${url.host}${url.pathname}`;
    return url.search ? `${masked}?…` : masked;
  } catch {
    return null;
  }
}

/** A channel as the API shows it: never its secret, only whether it has one. */
export function channelView(channel: NotificationChannelRecord) {
  const config = channel.config;
  return {
    id: channel.id,
    name: channel.name,
    kind: channel.kind,
    topics: channel.topics,
    enabled: channel.enabled,
    hasSecret: channel.secretCiphertext !== null,
    config:
      channel.kind === 'webhook'
        ? { url: displayUrl(config.url) }
        : channel.kind === 'slack'
          ? { host: config.host }
          : { to: config.to, from: config.from, smtp: config.smtp },
    createdAt: channel.createdAt.toISOString(),
    updatedAt: channel.updatedAt.toISOString(),
  };
}

export function deliveryView(delivery: NotificationDeliveryRecord) {
  return {
    id: delivery.id,
    channelId: delivery.channelId,
    channelName: delivery.channelName,
    topic: delivery.topic,
    subjectId: delivery.subjectId,
    runId: delivery.runId,
    status: delivery.status,
    attempts: delivery.attempts,
    lastError: delivery.lastError,
    message: delivery.message,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
  };
}
