import { isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, pino } from 'pino';
import { currentLogContext } from './log-context';

/** The LOG_LEVEL setting of the API and the worker (docs/operations.md, "Logs"). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevelSetting = (typeof LOG_LEVELS)[number];

/** What replaces a redacted value, the same mark the sandbox puts in place of a secret. */
export const LOG_REDACTED = '***';

/**
 * Keys whose values never reach a log line, wherever they sit in a logged object (up to four levels
 * deep): credentials in headers, bodies and settings. The apps log identifiers and messages, not
 * request bodies or headers; this is the net under a mistake.
 */
export const SENSITIVE_LOG_KEYS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'api_key',
  'secret',
  'secrets',
  'secretKey',
  'clientSecret',
  'privateKey',
  'signingKey',
  'webhookToken',
  'MENDFLOW_SECRET_KEY',
  'MENDFLOW_ADMIN_PASSWORD',
  'MENDFLOW_BOOTSTRAP_API_KEY',
  'METRICS_TOKEN',
  'DATABASE_URL',
  'REDIS_URL',
] as const;

const MAX_DEPTH = 4;

/** pino redaction paths for SENSITIVE_LOG_KEYS at depths 0..MAX_DEPTH-1, and a secret's `value`. */
export function sensitiveLogPaths(): string[] {
  const paths: string[] = [];
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const prefix = '*.'.repeat(depth);
    for (const key of SENSITIVE_LOG_KEYS) {
      paths.push(/^[A-Za-z_$][\w$]*$/.test(key) ? `${prefix}${key}` : `${prefix.slice(0, -1)}["${key}"]`);
    }
    // A secret written as an object ({ name, value }) keeps its name and loses its value.
    paths.push(`${prefix}secretValue`, `${prefix}secret.value`);
  }
  return paths;
}

export interface LoggerOptions {
  /** `api` or `worker`: every line says which process wrote it. */
  service: string;
  level: LogLevelSetting;
  /**
   * How an Error becomes text: the apps pass @mendflow/db's loggableError, which keeps database
   * errors to their class, code and names (Prisma and PostgreSQL quote query parameter values).
   */
  errorText?: (error: unknown) => string;
  /** Where lines go; standard output, synchronously (a crash loses no line), by default. */
  destination?: DestinationStream;
}

export function defaultErrorText(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * The one logger factory: one JSON object a line with `time` (ISO 8601), `level` (its name),
 * `service`, `msg`, the fields of the current log context (log-context.ts), and `traceId`/`spanId`
 * when an OpenTelemetry span is active. `err` is written through `errorText`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const errorText = options.errorText ?? defaultErrorText;
  return pino(
    {
      level: options.level,
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: sensitiveLogPaths(), censor: LOG_REDACTED },
      serializers: { err: (error: unknown) => (typeof error === 'string' ? error : errorText(error)) },
      mixin: () => {
        const fields: Record<string, unknown> = { ...currentLogContext() };
        // No-op API until a tracing SDK registers a provider: then the active span, if any.
        const span = trace.getActiveSpan()?.spanContext();
        if (span && isSpanContextValid(span)) {
          fields.traceId = span.traceId;
          fields.spanId = span.spanId;
        }
        return fields;
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** LOG_LEVEL as given, or `info` when it is not one of LOG_LEVELS (the config check names it then). */
export function logLevelOf(raw: string | undefined): LogLevelSetting {
  return (LOG_LEVELS as readonly string[]).includes(raw ?? '') ? (raw as LogLevelSetting) : 'info';
}
