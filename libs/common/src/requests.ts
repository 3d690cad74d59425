import { EVENT_NAME_PATTERN, MAX_EVENT_PAYLOAD_BYTES, RUN_PRIORITY } from '@mendflow/contracts';
import { z } from 'zod';
import { REQUEST_LIMITS } from './request-limits';
import { scriptLanguage } from './script-language';

/** Bodies of the public HTTP API; shared by the API (validation, OpenAPI) and clients. */
export const automationName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

export const scriptSource = z.string().min(1, 'must not be empty').max(262_144, 'must be at most 256 KiB');

export const createAutomationBody = z.strictObject({
  name: automationName,
  description: z.string().max(2000).optional(),
  source: scriptSource,
  manifest: z.unknown().optional(),
  /** Detected from the source when absent (docs/scripts.md, "TypeScript"). */
  language: scriptLanguage.optional(),
});
export type CreateAutomationBody = z.output<typeof createAutomationBody>;

export const updateAutomationBody = z
  .strictObject({
    name: automationName.optional(),
    description: z.string().max(2000).nullable().optional(),
    status: z.enum(['active', 'paused']).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one of name, description, status');
export type UpdateAutomationBody = z.output<typeof updateAutomationBody>;

export const rollbackBody = z.strictObject({ version: z.int().min(1).max(REQUEST_LIMITS.maxInt) });

export const createVersionBody = z.strictObject({
  source: scriptSource,
  manifest: z.unknown().optional(),
  /** Detected from the source when absent (docs/scripts.md, "TypeScript"). */
  language: scriptLanguage.optional(),
});
export type CreateVersionBody = z.output<typeof createVersionBody>;

/**
 * A webhook's `Idempotency-Key` header is stored with this prefix, so it never meets a key an API
 * caller chose for the same automation.
 */
export const WEBHOOK_IDEMPOTENCY_PREFIX = 'hook:';

/** How long an idempotency key holds when IDEMPOTENCY_TTL_HOURS is not set (docs/operations.md). */
export const DEFAULT_IDEMPOTENCY_TTL_HOURS = 24;

export const startRunBody = z
  .strictObject({
    input: z.unknown().optional(),
    /** Within IDEMPOTENCY_TTL_HOURS the same key and input return the same run; another input is a 409. */
    idempotencyKey: z
      .string()
      .min(1)
      .max(200)
      .refine((key) => !key.startsWith(WEBHOOK_IDEMPOTENCY_PREFIX), {
        error: `must not start with "${WEBHOOK_IDEMPOTENCY_PREFIX}" (reserved for webhook Idempotency-Key headers)`,
      })
      .optional(),
    /** Higher runs first; RUN_PRIORITY.default when absent. */
    priority: z.int().min(RUN_PRIORITY.min).max(RUN_PRIORITY.max).optional(),
  })
  .default({});
export type StartRunBody = z.output<typeof startRunBody>;

/** `POST /events`: an event from outside; every automation with an event trigger for `name` gets a run. */
export const emitEventBody = z.strictObject({
  name: z
    .string()
    .regex(EVENT_NAME_PATTERN, 'must be lower-case letters, digits and . _ : -, at most 100 characters'),
  /** The subscribers' run input; null when absent. */
  payload: z
    .unknown()
    .optional()
    .refine(
      (payload) =>
        new TextEncoder().encode(JSON.stringify(payload ?? null)).length <= MAX_EVENT_PAYLOAD_BYTES,
      `must be at most ${MAX_EVENT_PAYLOAD_BYTES} bytes as JSON`,
    ),
});
export type EmitEventBody = z.output<typeof emitEventBody>;

/** `POST /runs/:id/cancel`: the body is optional; the reason is recorded in the run.cancelled event. */
export const cancelRunBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(500, 'must be at most 500 characters')
      .optional(),
  })
  .default({});
export type CancelRunBody = z.output<typeof cancelRunBody>;

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

/** `POST /automations/import`: `bundle` is checked against @mendflow/contracts' bundleSchema (BUNDLE_INVALID). */
export const importBundleBody = z.strictObject({
  bundle: z.unknown().refine((value) => value !== undefined, { error: 'is required' }),
  /** Created under this name instead of the bundle's (when the name is taken here). */
  name: automationName.optional(),
});
export type ImportBundleBody = z.output<typeof importBundleBody>;

/** `POST /trusted-publishers`: a publisher's public key, as its workspace shows it (base64 SPKI or PEM). */
export const addTrustedPublisherBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  publicKey: z.string().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters'),
});
export type AddTrustedPublisherBody = z.output<typeof addTrustedPublisherBody>;
