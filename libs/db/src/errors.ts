import { Prisma } from './generated/prisma/client';

/** True when a write hit a unique constraint (Prisma's P2002), e.g. a duplicate automation name. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/** True when an update or delete found no row to change (Prisma's P2025). */
export function isRecordNotFound(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025';
}

/** What a driver adapter error carries: its kind, and for PostgreSQL errors the SQLSTATE and message. */
interface DriverCause {
  kind?: unknown;
  originalCode?: unknown;
  originalMessage?: unknown;
}

/**
 * A statement PostgreSQL refused when run on the raw pool (SqlClient): its SQLSTATE and message, in
 * the shape Prisma's driver adapter errors carry them, so every check here treats both alike. Its
 * own message names only the SQLSTATE (PostgreSQL's may quote a parameter's value).
 */
export class SqlStatementError extends Error {
  override readonly name = 'SqlStatementError';
  override readonly cause: DriverCause;

  constructor(sqlState: string, postgresMessage: string) {
    super(`PostgreSQL refused the statement (SQLSTATE ${sqlState})`);
    this.cause = { kind: 'postgres', originalCode: sqlState, originalMessage: postgresMessage };
  }
}

/** The driver adapter's description of a failed query, as Prisma and @prisma/adapter-pg wrap it. */
function driverCause(error: unknown): DriverCause | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  if (error instanceof SqlStatementError) return error.cause;
  // A raw query's failure (P2010) keeps it in meta; a model query may throw the DriverAdapterError.
  const meta = (error as { meta?: { driverAdapterError?: { cause?: unknown } } }).meta;
  const cause =
    meta?.driverAdapterError?.cause ??
    ((error as { name?: unknown }).name === 'DriverAdapterError'
      ? (error as { cause?: unknown }).cause
      : undefined);
  return cause !== null && typeof cause === 'object' ? (cause as DriverCause) : undefined;
}

function sqlState(cause: DriverCause | undefined): string | undefined {
  return typeof cause?.originalCode === 'string' ? cause.originalCode : undefined;
}

/** Adapter error kinds that are about reaching the database, never about the statement's values. */
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'DatabaseAccessDenied',
  'AuthenticationFailed',
  'ConnectionClosed',
  'TlsConnectionError',
  'TooManyConnections',
  'SocketTimeout',
  'TransactionAlreadyClosed',
  'TransactionWriteConflict',
]);
/** SQLSTATE classes of trouble with the server: connection (08), resources (53), operator (57), rollback (40). */
const UNAVAILABLE_SQLSTATE = /^(08|40|53|57)/;
/**
 * Prisma's own codes for connection trouble (can't reach, timeouts, closed connection, pool timeout),
 * and P2028, its transaction API error: a transaction that could not start in time, or was closed
 * under it ("Transaction already closed" is what a server restart mid-transaction surfaces as).
 */
const UNAVAILABLE_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

const NODE_POSTGRES_CONNECTION_LOST =
  /Connection terminated|connection timeout|Connection ended|connection error and is not queryable/i;

/**
 * True when a query failed because the database could not be used (unreachable, shutting down, out
 * of connections), so the same statement may well succeed later. Anything else is about the statement
 * itself: most often a value the database refuses to hold (a NUL byte, a lone surrogate).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (
    error instanceof Prisma.PrismaClientInitializationError ||
    error instanceof Prisma.PrismaClientRustPanicError
  )
    return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError && UNAVAILABLE_PRISMA.has(error.code))
    return true;
  const cause = driverCause(error);
  if (cause) {
    if (typeof cause.kind === 'string' && UNAVAILABLE_KINDS.has(cause.kind)) return true;
    return UNAVAILABLE_SQLSTATE.test(sqlState(cause) ?? '');
  }
  const errno = (error as { code?: unknown } | null)?.code;
  if (typeof errno === 'string' && UNAVAILABLE_ERRNO.has(errno)) return true;
  // node-postgres's own errors when a connection goes away mid-query, or was already gone when a query
  // was handed to it ("Client has encountered a connection error and is not queryable").
  return error instanceof Error && NODE_POSTGRES_CONNECTION_LOST.test(error.message);
}

/**
 * PostgreSQL's messages for these codes say what was wrong with a value; the one part of them that can
 * be user data, a value it quotes ("invalid input syntax for type uuid: \"…\""), is blanked out.
 */
const QUOTABLE_SQLSTATE = new Set(['22021', '22P05', '22P02', '54000', '54001']);

/**
 * A short description of a failed query that is safe to store and log: the SQLSTATE and, only where
 * PostgreSQL's message is a fixed text, the message. Never Prisma's message, which can quote the
 * query's parameter values (user data). Undefined for an error that did not come from the database.
 */
export function describeDatabaseError(error: unknown): string | undefined {
  if (error instanceof Prisma.PrismaClientValidationError) {
    return 'Prisma refused a query parameter (a string that is not valid Unicode, such as a lone surrogate)';
  }
  const cause = driverCause(error);
  const code = sqlState(cause);
  if (code) {
    const message = typeof cause?.originalMessage === 'string' ? cause.originalMessage : '';
    return QUOTABLE_SQLSTATE.has(code) && message
      ? `PostgreSQL refused the statement (SQLSTATE ${code}: ${withoutQuotedValues(message)})`
      : `PostgreSQL refused the statement (SQLSTATE ${code})`;
  }
  if (typeof cause?.kind === 'string') return `the database driver failed (${cause.kind})`;
  if (error instanceof Prisma.PrismaClientKnownRequestError) return `the query failed (Prisma ${error.code})`;
  if (error instanceof Prisma.PrismaClientUnknownRequestError) return 'the query engine refused the request';
  return undefined;
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
  if (isDatabaseError(error)) return describeForLog(error);
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
    error instanceof SqlStatementError ||
    (error instanceof Error && error.name === 'DriverAdapterError')
  );
}

function describeForLog(error: Error): string {
  const { code, meta, cause } = error as { code?: unknown; meta?: unknown; cause?: unknown };
  const parts = [`${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${summary(error.message)}`];
  const metaText = describeMeta(meta);
  if (metaText) parts.push(`meta ${metaText}`);
  const adapterError = error.name === 'DriverAdapterError' || error instanceof SqlStatementError;
  if (adapterError && typeof cause === 'object' && cause !== null) {
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
  const redacted = withoutQuotedValues(last);
  return redacted.length > MAX_SUMMARY ? `${redacted.slice(0, MAX_SUMMARY)}…` : redacted;
}

/** PostgreSQL and Prisma quote values ("invalid input syntax for type uuid: \"…\""); names are in backticks. */
function withoutQuotedValues(message: string): string {
  return message.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');
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

/**
 * Runs `write` again while the database is unavailable (isDatabaseUnavailable), waiting 100 ms, then
 * twice as long each time up to 1 s, for at most `withinMs`; any other error, or one past the bound,
 * is thrown. For writes whose loss costs more than the wait: a step's result arrives after its side
 * effect happened, and failing to store it would make the next attempt apply the effect again.
 */
export async function retryWhileDatabaseUnavailable<T>(
  write: () => Promise<T>,
  withinMs: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await write();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + delay > deadline) throw error;
      await sleep(delay);
    }
  }
}
