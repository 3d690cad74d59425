import { DEFAULT_IDEMPOTENCY_TTL_HOURS, parseEnv } from '@mendflow/common';
import { z } from 'zod';
import { trustProxySetting } from './trust-proxy';

const envSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgresql:// URL' }),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }),
  PORT: z.coerce.number().int().min(1).max(65535).default(4000),
  MENDFLOW_SECRET_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 random bytes)'),
  MENDFLOW_ADMIN_EMAIL: z.email().optional(),
  MENDFLOW_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  MENDFLOW_BOOTSTRAP_API_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  // SIGTERM/SIGINT: how long requests under way may take to finish before the process exits anyway.
  API_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(20_000),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  // Which peers' X-Forwarded-* headers are believed (see trust-proxy.ts); default false: none.
  TRUST_PROXY: trustProxySetting,
  // Bearer token for GET /metrics; unset, /metrics answers 404 (see metrics-token.guard.ts).
  METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  // The dashboard's address, for the link in a channel's test notification.
  MENDFLOW_WEB_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s):// URL' })
    .default('http://localhost:3000'),
  // How long an idempotency key (a run's idempotencyKey, a webhook's Idempotency-Key) holds.
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(DEFAULT_IDEMPOTENCY_TTL_HOURS),
  // Webhooks (docs/webhooks.md): the largest body, the longest ?wait=, and requests per minute per hook.
  WEBHOOK_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(32 * 1024 * 1024)
    .default(1_048_576),
  WEBHOOK_MAX_WAIT_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
  WEBHOOK_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(120),
});

export type ApiConfig = z.output<typeof envSchema>;
export const API_CONFIG = Symbol('mendflow.api-config');

/** Reads and validates the environment once at boot; a bad variable stops the process with its name. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(envSchema, env);
}
