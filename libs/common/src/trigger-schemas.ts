import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import {
  CRON_CATCH_UP,
  CRON_OVERLAP,
  EVENT_NAME_PATTERN,
  WEBHOOK_SIGNATURE_SCHEMES,
} from '@mendflow/contracts';

/** A secret's name, as the manifest and the secrets API spell it. */
export const secretName = z
  .string()
  .regex(
    /^[A-Z][A-Z0-9_]{0,63}$/,
    'must be upper-case letters, digits and underscores, starting with a letter',
  );

/** True for an IANA time zone this runtime knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Why a cron expression is refused, or null when it parses (5 fields, or 6 with seconds first). */
export function cronProblem(expression: string, timezone = 'UTC'): string | null {
  const fields = expression.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6)
    return `must have 5 fields (minute hour day month weekday) or 6 (seconds first), not ${fields}`;
  try {
    CronExpressionParser.parse(expression, { tz: isTimeZone(timezone) ? timezone : 'UTC', strict: false });
    return null;
  } catch (error) {
    return `is not a valid cron expression: ${(error as Error).message}`;
  }
}

const headerName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'must be a lower-case HTTP header name');

export const cronTriggerSchema = z
  .strictObject({
    type: z.literal('cron'),
    /** `*\/5 * * * *`, or six fields with seconds first (`*\/10 * * * * *`). */
    cron: z.string().min(9).max(120),
    timezone: z
      .string()
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as "UTC" or "Europe/Berlin"')
      .default('UTC'),
    /** Missed ticks (downtime): `none` skips them, `latest` runs the most recent one once. */
    catchUp: z.enum(CRON_CATCH_UP).default('none'),
    /** While the previous scheduled run still goes: start anyway, skip the tick, or queue behind it. */
    overlap: z.enum(CRON_OVERLAP).default('skip'),
    /** The scheduled runs' input. */
    input: z.unknown().optional(),
  })
  .superRefine((trigger, context) => {
    const problem = cronProblem(trigger.cron, trigger.timezone);
    if (problem) context.addIssue({ code: 'custom', path: ['cron'], message: problem });
  });

export const webhookSignatureSchema = z.strictObject({
  /** github: `X-Hub-Signature-256: sha256=<hex>`; stripe: `Stripe-Signature: t=<unix>,v1=<hex>` over `t.body`; hmac-sha256: configured below. */
  scheme: z.enum(WEBHOOK_SIGNATURE_SCHEMES),
  /** The workspace secret holding the shared key. */
  secret: secretName,
  /** The header carrying the signature (default: the scheme's). */
  header: headerName.optional(),
  /** hmac-sha256: how the digest is written, and what precedes it (e.g. "sha256="). */
  encoding: z.enum(['hex', 'base64']).default('hex'),
  prefix: z.string().max(40).default(''),
  /** hmac-sha256: a header with the unix timestamp; the signed text is then `<timestamp>.<body>`. */
  timestampHeader: headerName.optional(),
  /** Timestamped schemes: older (or further in the future) than this is a replay, refused. */
  toleranceSeconds: z.int().min(1).max(3600).default(300),
});

export const webhookTriggerSchema = z.strictObject({
  type: z.literal('webhook'),
  signature: webhookSignatureSchema.optional(),
  /** Request headers copied into the run's input (lower-case names); others are not kept. */
  headers: z.array(headerName).max(20).default([]),
});

export const eventTriggerSchema = z.strictObject({
  type: z.literal('event'),
  name: z
    .string()
    .regex(EVENT_NAME_PATTERN, 'must be lower-case letters, digits and . _ : -, at most 100 characters'),
});

export const triggerSchema = z.discriminatedUnion('type', [
  cronTriggerSchema,
  webhookTriggerSchema,
  eventTriggerSchema,
]);

export const triggersSchema = z
  .array(triggerSchema)
  .max(20)
  .superRefine((triggers, context) => {
    if (triggers.filter((t) => t.type === 'webhook').length > 1)
      context.addIssue({
        code: 'custom',
        message: 'an automation has one webhook URL: list at most one webhook trigger',
      });
  })
  .default([]);

export type TriggerConfig = z.output<typeof triggerSchema>;
export type CronTriggerConfig = z.output<typeof cronTriggerSchema>;
export type WebhookTriggerConfig = z.output<typeof webhookTriggerSchema>;
export type EventTriggerConfig = z.output<typeof eventTriggerSchema>;
