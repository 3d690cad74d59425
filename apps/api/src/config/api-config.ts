import { parseEnv } from '@mendflow/common';
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
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  // Which peers' X-Forwarded-* headers are believed (see trust-proxy.ts); default false: none.
  TRUST_PROXY: trustProxySetting,
  // Bearer token for GET /metrics; unset, /metrics answers 404 (see metrics-token.guard.ts).
  METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  // The dashboard's address, for the link in a channel's test notification.
  MENDFLOW_WEB_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s):// URL' })
    .default('http://localhost:3000'),
});

export type ApiConfig = z.output<typeof envSchema>;
export const API_CONFIG = Symbol('mendflow.api-config');

/** Reads and validates the environment once at boot; a bad variable stops the process with its name. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(envSchema, env);
}
