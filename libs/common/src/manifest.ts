import { z } from 'zod';
import { HOST_PATTERN_SYNTAX } from './host-patterns';
import { JSON_POINTER_PATTERN } from './concurrency';
import { secretName, triggersSchema } from './trigger-schemas';

/** A host a script may fetch from: `api.example.com` or a wildcard for subdomains `*.example.com`. */
const hostPattern = z
  .string()
  .regex(
    HOST_PATTERN_SYNTAX,
    'must be a lower-case host name, optionally starting with "*." and ending with ":port"',
  );

export const manifestSchema = z
  .strictObject({
    permissions: z
      .strictObject({
        hosts: z.array(hostPattern).max(100).default([]),
        secrets: z.array(secretName).max(100).default([]),
      })
      .default({ hosts: [], secrets: [] }),
    limits: z
      .strictObject({
        timeoutMs: z.int().min(100).max(900_000).default(30_000),
        memoryMb: z.int().min(8).max(1024).default(64),
        maxFetches: z.int().min(0).max(1000).default(50),
        maxLogBytes: z.int().min(1024).max(10_485_760).default(262_144),
        maxResultBytes: z.int().min(1024).max(10_485_760).default(1_048_576),
      })
      .default({
        timeoutMs: 30_000,
        memoryMb: 64,
        maxFetches: 50,
        maxLogBytes: 262_144,
        maxResultBytes: 1_048_576,
      }),
    retry: z
      .strictObject({
        maxAttempts: z.int().min(1).max(20).default(3),
        backoff: z
          .strictObject({
            baseMs: z.int().min(0).max(3_600_000).default(1000),
            maxMs: z.int().min(0).max(86_400_000).default(300_000),
            jitter: z.boolean().default(true),
          })
          .default({ baseMs: 1000, maxMs: 300_000, jitter: true }),
      })
      .default({ maxAttempts: 3, backoff: { baseMs: 1000, maxMs: 300_000, jitter: true } }),
    repair: z
      .strictObject({
        // Absent means "enabled when the server has a repair provider configured".
        enabled: z.boolean().optional(),
        maxPerDay: z.int().min(0).max(100).default(3),
        requireApproval: z.boolean().default(false),
      })
      .default({ maxPerDay: 3, requireApproval: false }),
    /** Schedules, the webhook and event subscriptions that start runs (docs/triggers.md). */
    triggers: triggersSchema,
    /** Narrows the workspace's notification channels for this automation (names; [] for none). */
    notifications: z
      .strictObject({ channels: z.array(z.string().min(1).max(100)).max(20).optional() })
      .default({}),
    /**
     * At most `limit` runs of the automation are running at once; with `key` (a JSON Pointer into the
     * run input, e.g. "/customerId") at most `limit` per value of the key.
     */
    concurrency: z
      .strictObject({
        limit: z.int().min(1).max(1000),
        key: z
          .string()
          .max(200)
          .regex(
            JSON_POINTER_PATTERN,
            'must be a JSON Pointer into the run input (RFC 6901), such as "/customerId"',
          )
          .optional(),
      })
      .optional(),
    inputSchema: z.record(z.string(), z.unknown()).optional(),
    /** Who may answer the script's ctx.waitForApproval requests, besides signed-in editors. */
    approvals: z
      .strictObject({
        /** API keys (with the editor role) may answer; the key that started the run never may. */
        allowApiKeys: z.boolean().default(false),
      })
      .default({ allowApiKeys: false }),
  })
  .default({
    permissions: { hosts: [], secrets: [] },
    limits: {
      timeoutMs: 30_000,
      memoryMb: 64,
      maxFetches: 50,
      maxLogBytes: 262_144,
      maxResultBytes: 1_048_576,
    },
    retry: { maxAttempts: 3, backoff: { baseMs: 1000, maxMs: 300_000, jitter: true } },
    repair: { maxPerDay: 3, requireApproval: false },
    triggers: [],
    notifications: {},
    approvals: { allowApiKeys: false },
  })
  .superRefine((manifest, context) => {
    // Two lines for one run cannot both hold: a queued schedule waits in a line of its own.
    manifest.triggers.forEach((trigger, index) => {
      if (trigger.type === 'cron' && trigger.overlap === 'queue' && manifest.concurrency)
        context.addIssue({
          code: 'custom',
          path: ['triggers', index, 'overlap'],
          message:
            'overlap "queue" makes scheduled runs wait in a line of their own and cannot be combined with concurrency: use overlap "skip" or "allow", or leave concurrency out',
        });
    });
  });

/** The manifest as stored: every default filled in. */
export type Manifest = z.output<typeof manifestSchema>;
/** The manifest as a client may write it: every field optional. */
export type ManifestInput = z.input<typeof manifestSchema>;

export function defaultManifest(): Manifest {
  return manifestSchema.parse(undefined);
}
