import { Prisma } from './generated/prisma/client';

/** True when a write hit a unique constraint (Prisma's P2002), e.g. a duplicate automation name. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/** True when an update or delete found no row to change (Prisma's P2025). */
export function isRecordNotFound(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025';
}

// Names of the schema, never values: what a database error's `meta` may show in a log.
const LOGGABLE_META = new Set(['modelName', 'target', 'field_name', 'constraint', 'table', 'column']);
const MAX_SUMMARY = 500;

/**
 * An error as it may be logged: for a database error (Prisma's, or its PostgreSQL driver adapter's),
 * its class, code and closing sentence, the names in its `meta`, and its stack frames, but never the
 * rendered query arguments, raw SQL parameter values, `meta` values or quoted values that Prisma and
 * PostgreSQL put in their messages (they hold user data: names, inputs, emails). Other errors keep
 * their stack.
 */
export function loggableError(error: unknown): string {
  if (isDatabaseError(error)) return describeDatabaseError(error);
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

function isDatabaseError(error: unknown): error is Error {
  return (
    error instanceof Prisma.PrismaClientKnownRequestError ||
    error instanceof Prisma.PrismaClientUnknownRequestError ||
    error instanceof Prisma.PrismaClientValidationError ||
    error instanceof Prisma.PrismaClientRustPanicError ||
    error instanceof Prisma.PrismaClientInitializationError ||
    (error instanceof Error && error.name === 'DriverAdapterError')
  );
}

function describeDatabaseError(error: Error): string {
  const { code, meta, cause } = error as { code?: unknown; meta?: unknown; cause?: unknown };
  const parts = [`${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${summary(error.message)}`];
  const metaText = describeMeta(meta);
  if (metaText) parts.push(`meta ${metaText}`);
  if (error.name === 'DriverAdapterError' && typeof cause === 'object' && cause !== null) {
    const { kind, code: causeCode, originalCode } = cause as Record<string, unknown>;
    const names = [kind, causeCode ?? originalCode].filter((part) => typeof part === 'string');
    if (names.length > 0) parts.push(`cause ${names.join(' ')}`);
  }
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return [parts.join('; '), ...frames].join('\n');
}

/** The closing paragraph of a Prisma message (the rendered call with its arguments comes before it). */
function summary(message: string): string {
  const paragraphs = message.trim().split(/\n\s*\n/);
  const last = (paragraphs.at(-1) ?? '').replace(/\s+/g, ' ').trim();
  // PostgreSQL and Prisma quote values ("invalid input syntax for type uuid: \"…\""); names are in backticks.
  const redacted = last.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');
  return redacted.length > MAX_SUMMARY ? `${redacted.slice(0, MAX_SUMMARY)}…` : redacted;
}

function describeMeta(meta: unknown): string {
  if (typeof meta !== 'object' || meta === null) return '';
  const entries = Object.entries(meta).map(([key, value]) => {
    const isName = typeof value === 'string' && value.length <= 100;
    const isNames = Array.isArray(value) && value.every((item) => typeof item === 'string');
    return LOGGABLE_META.has(key) && (isName || isNames) ? `${key}=${JSON.stringify(value)}` : key;
  });
  return entries.join(', ');
}
