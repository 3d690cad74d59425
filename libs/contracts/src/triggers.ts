/**
 * Triggers in, notifications out: the names shared by the manifest, the API, the worker and the
 * dashboard. The manifest's trigger schemas live with the manifest (@mendflow/common); what a triggered
 * run carries about its origin is `RunTriggerContext`.
 */

export const TRIGGER_KINDS = ['cron', 'webhook', 'event'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

/** What a schedule does with ticks it missed while nothing ran (Mendflow or Redis down, a pause). */
export const CRON_CATCH_UP = ['none', 'latest'] as const;
export type CronCatchUp = (typeof CRON_CATCH_UP)[number];

/** What a tick does while the previous scheduled run of the same schedule is still going. */
export const CRON_OVERLAP = ['allow', 'skip', 'queue'] as const;
export type CronOverlap = (typeof CRON_OVERLAP)[number];

/** Webhook signature schemes: GitHub's and Stripe's conventions, or HMAC-SHA256 configured by hand. */
export const WEBHOOK_SIGNATURE_SCHEMES = ['github', 'stripe', 'hmac-sha256'] as const;
export type WebhookSignatureScheme = (typeof WEBHOOK_SIGNATURE_SCHEMES)[number];

/** Event names: lower-case, dotted or dashed (`order.created`, `invoice-paid`). */
export const EVENT_NAME_PATTERN = /^[a-z0-9][a-z0-9._:-]{0,99}$/;

/**
 * How many automations an event chain may pass through: a run started by an event whose chain is this
 * long cannot emit further (its ctx.emit fails with a policy error).
 */
export const MAX_EVENT_CHAIN_DEPTH = 8;

/**
 * An event payload becomes each subscriber's run input: bounded like a ctx.kv value (64 KiB as JSON),
 * the same from a script (ctx.emit) and from outside (POST /api/v1/events).
 */
export const MAX_EVENT_PAYLOAD_BYTES = 65_536;

/**
 * Why ctx.emit refuses an event (docs/events.md): the chain is MAX_EVENT_CHAIN_DEPTH automations long
 * already, or a subscriber is already in the chain (or is the emitter). Policy: the run fails closed and
 * a person decides; nothing is emitted.
 */
export const EVENT_POLICY_CODES = ['EVENT_CHAIN_TOO_DEEP', 'EVENT_CYCLE'] as const;
export type EventPolicyCode = (typeof EVENT_POLICY_CODES)[number];

/** Where a triggered run came from (runs.trigger_context), by trigger. */
export type RunTriggerContext =
  | { kind: 'cron'; triggerId: string; scheduledAt: string }
  | {
      kind: 'event';
      eventId: string;
      name: string;
      sourceRunId: string | null;
      /** Automations the chain passed through before this run, oldest first. */
      chain: string[];
      depth: number;
    }
  | { kind: 'webhook'; contentType: string | null };

export const NOTIFICATION_CHANNEL_KINDS = ['webhook', 'slack', 'email'] as const;
export type NotificationChannelKind = (typeof NOTIFICATION_CHANNEL_KINDS)[number];

/** What a channel can be told about; `inbox.opened` is the default: a person is needed. */
export const NOTIFICATION_TOPICS = ['inbox.opened', 'run.failed', 'repair.deployed'] as const;
export type NotificationTopic = (typeof NOTIFICATION_TOPICS)[number];

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
