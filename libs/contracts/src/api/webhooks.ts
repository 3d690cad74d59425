import { z } from 'zod';
import { RUN_STATUSES } from '../run-lifecycle';
import { WEBHOOK_SIGNATURE_SCHEMES } from '../triggers';
import { isoDateTime, nullableDateTime } from './common';

/** An automation's webhook as its owner sees it: never the token, only its prefix. */
export const webhookSchema = z
  .object({
    enabled: z.boolean(),
    hasToken: z.boolean(),
    tokenPrefix: z.string().nullable(),
    createdAt: nullableDateTime,
    urlTemplate: z.string(),
    headers: z.array(z.string()),
    signature: z
      .object({
        scheme: z.enum(WEBHOOK_SIGNATURE_SCHEMES),
        header: z.string(),
        secret: z.string(),
        toleranceSeconds: z.number().optional(),
      })
      .nullable(),
  })
  .meta({ id: 'Webhook' });

/** The token and URL, in this answer only. */
export const webhookTokenSchema = z
  .object({
    token: z.string(),
    path: z.string(),
    url: z.string(),
    tokenPrefix: z.string(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'WebhookToken' });

/** A hook request that did not wait (or whose run did not settle in time). */
export const hookAcceptedSchema = z
  .object({ runId: z.uuid(), status: z.enum(RUN_STATUSES) })
  .meta({ id: 'HookAccepted' });
/** With ?wait= and a run that succeeded in time: its output, whatever JSON the script returned. */
export const hookOutputSchema = z.unknown().meta({ id: 'HookOutput' });
