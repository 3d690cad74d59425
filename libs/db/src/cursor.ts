import { DomainError, ErrorCodes, REQUEST_LIMITS } from '@mendflow/common';

/** Keyset cursor over (createdAt desc, id desc): stable under inserts, unlike offsets. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EARLIEST = Date.parse(REQUEST_LIMITS.earliestDate);
const LATEST = Date.parse(REQUEST_LIMITS.latestDate);

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

/**
 * A cursor this API returned, or INVALID_CURSOR: a client may send anything, so every part is checked
 * before it reaches SQL (an id of the column's shape — a UUID PostgreSQL can cast by default — and an
 * instant it and Prisma can both represent).
 */
export function decodeCursor(value: string, idPattern: RegExp = UUID): Cursor {
  const [iso, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const time = Date.parse(iso ?? '');
  if (rest.length > 0 || !id || !idPattern.test(id) || !(time >= EARLIEST && time <= LATEST)) {
    throw new DomainError(ErrorCodes.INVALID_CURSOR, 'invalid', 'cursor is not one this API returned', {
      field: 'cursor',
    });
  }
  return { createdAt: new Date(time), id };
}
