import { parseEnv } from '@mendflow/common';
import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((value) => value === 'true' || value === '1');

const envSchema = z
  .object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgresql:// URL' }),
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }),
    MENDFLOW_SECRET_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 random bytes)'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    /**
     * The fraction of WORKER_CONCURRENCY one automation's runs may hold on a worker (6 of 8 slots by
     * default); see automationSlots() for the rounding and bounds.
     */
    WORKER_AUTOMATION_SHARE: z.coerce.number().gt(0).max(1).default(0.75),
    /**
     * How long a job over its automation's share waits in the worker for one of that automation's
     * attempts to end before it is put back in the queue (0: put back at once).
     */
    WORKER_SHARE_PATIENCE_MS: z.coerce.number().int().min(0).max(10_000).default(100),
    ALLOW_PRIVATE_NETWORK: booleanFlag,
    /** Host heap (MB) of each sandbox process; each isolate also has its manifest's limits.memoryMb. */
    SANDBOX_PROCESS_HEAP_MB: z.coerce.number().int().min(64).max(16_384).default(256),
    /** Attempts a sandbox process serves before a fresh one replaces it (bounds any slow leak). */
    SANDBOX_ATTEMPTS_PER_PROCESS: z.coerce.number().int().min(1).default(5000),
    /** Past an attempt's time limit, how long its sandbox process gets to stop it before being killed. */
    SANDBOX_KILL_GRACE_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
    /** Port of the worker's health endpoint; 0 turns it off (e.g. several workers on one host). */
    WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
    /**
     * A longest event-loop delay at or above this (over the last 10–20 s) makes /healthz report the
     * worker stalled. A loop blocked outright cannot answer at all; the probe's timeout covers that.
     */
    WORKER_EVENT_LOOP_STALL_MS: z.coerce.number().int().min(50).default(5000),
    /**
     * On SIGTERM/SIGINT the attempts under way may finish for this long; then the process exits anyway.
     * Keep it below the orchestrator's own grace (compose stop_grace_period, k8s terminationGracePeriodSeconds).
     */
    WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(25_000),
    /** After a fatal error (uncaught exception, unhandled rejection, a component's report), the same, shorter. */
    WORKER_FATAL_GRACE_MS: z.coerce.number().int().min(0).default(5000),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    /**
     * How long a worker's claim on a job lasts without renewal; a worker that dies loses its jobs to
     * another worker after about this long (BullMQ's stalled-job check runs at the same interval).
     */
    WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
    /** A run queued longer than this without a job is re-enqueued from PostgreSQL. */
    STALE_QUEUED_RUN_MS: z.coerce.number().int().min(1000).default(60_000),
    /**
     * How often the retention pass runs, cluster-wide (docs/operations.md "Retention"); 0 turns it off
     * (and removes its schedule, so set it alike on every worker).
     */
    RETENTION_INTERVAL_MS: z.coerce
      .number()
      .int()
      .refine((ms) => ms === 0 || ms >= 1000, 'must be 0 (off) or at least 1000')
      .default(900_000),
    /** Rows one retention statement deletes at most (runs, with what is theirs, count as one each). */
    RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
    /** How long one pass may go on; it stops after the batch under way and the next pass continues. */
    RETENTION_TIME_BUDGET_MS: z.coerce.number().int().min(100).default(60_000),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    REPAIR_PROVIDER: z.enum(['none', 'openai', 'webhook']).default('none'),
    /** openai: the API base (…/v1) of any OpenAI-compatible endpoint; webhook: the URL to POST to. */
    REPAIR_BASE_URL: z.url().optional(),
    REPAIR_MODEL: z.string().min(1).default('gpt-4o-mini'),
    REPAIR_API_KEY: z.string().optional(),
    REPAIR_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
    /** Tokens a workspace's repairs may spend per 24 hours. */
    REPAIR_TOKEN_BUDGET_PER_DAY: z.coerce.number().int().min(0).default(500_000),
    /** Provider prices in USD per million prompt / completion tokens, to record what each repair cost. */
    REPAIR_PRICE_INPUT_PER_MTOK: z.coerce.number().min(0).optional(),
    REPAIR_PRICE_OUTPUT_PER_MTOK: z.coerce.number().min(0).optional(),
    /** After a failed repair, the automation gets no new repair for this long. */
    REPAIR_COOLDOWN_MS: z.coerce.number().int().min(0).default(600_000),
    /** The dashboard's address, for the links in notifications. */
    MENDFLOW_WEB_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s):// URL' })
      .default('http://localhost:3000'),
    /** A notification delivery's first retry waits this long, doubling for each of the five retries. */
    NOTIFY_RETRY_BASE_MS: z.coerce.number().int().min(10).default(2000),
    /** How long one notification send (an HTTP POST, an SMTP session step) may take. */
    NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  })
  .superRefine((config, context) => {
    if (config.RETENTION_INTERVAL_MS > 0 && config.RETENTION_TIME_BUDGET_MS > config.RETENTION_INTERVAL_MS) {
      context.addIssue({
        code: 'custom',
        path: ['RETENTION_TIME_BUDGET_MS'],
        message: 'must not exceed RETENTION_INTERVAL_MS (a pass ends before the next one is due)',
      });
    }
    if (config.REPAIR_PROVIDER !== 'none' && !config.REPAIR_BASE_URL) {
      context.addIssue({
        code: 'custom',
        path: ['REPAIR_BASE_URL'],
        message: `is required when REPAIR_PROVIDER=${config.REPAIR_PROVIDER}`,
      });
    }
  });

export type WorkerConfig = z.output<typeof envSchema>;
export const WORKER_CONFIG = Symbol('mendflow.worker-config');

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return parseEnv(envSchema, env);
}
