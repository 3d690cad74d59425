import { DomainError, ErrorCodes } from '@mendflow/common';

/** Keyset cursor over (createdAt desc, id desc): stable under inserts, unlike offsets. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

const UUID_ID = /^[0-9a-f-]{36}$/;

/** Decodes a cursor this API returned; `idPattern` is the shape of the id column (UUIDs by default). */
export function decodeCursor(value: string, idPattern: RegExp = UUID_ID): Cursor {
  const [iso, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || !idPattern.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new DomainError(ErrorCodes.INVALID_CURSOR, 'invalid', 'cursor is not one this API returned', {
      field: 'cursor',
    });
  }
  return { createdAt, id };
}
