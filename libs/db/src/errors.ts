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

/** The driver adapter's description of a failed query, as Prisma and @prisma/adapter-pg wrap it. */
function driverCause(error: unknown): DriverCause | undefined {
  if (error === null || typeof error !== 'object') return undefined;
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
/** Prisma's own codes for connection trouble (can't reach, timeouts, closed connection, pool timeout). */
const UNAVAILABLE_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

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
  // node-postgres's own errors when a connection goes away mid-query.
  return (
    error instanceof Error && /Connection terminated|connection timeout|Connection ended/i.test(error.message)
  );
}

/** PostgreSQL's messages for these codes are fixed texts that never quote a value. */
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
      ? `PostgreSQL refused the statement (SQLSTATE ${code}: ${message})`
      : `PostgreSQL refused the statement (SQLSTATE ${code})`;
  }
  if (typeof cause?.kind === 'string') return `the database driver failed (${cause.kind})`;
  if (error instanceof Prisma.PrismaClientKnownRequestError) return `the query failed (Prisma ${error.code})`;
  if (error instanceof Prisma.PrismaClientUnknownRequestError) return 'the query engine refused the request';
  return undefined;
}
