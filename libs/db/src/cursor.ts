import { DomainError, ErrorCodes } from '@mendflow/common';

/** Keyset cursor over (createdAt desc, id desc): stable under inserts, unlike offsets. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(value: string): Cursor {
  const [iso, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new DomainError(ErrorCodes.INVALID_CURSOR, 'invalid', 'cursor is not one this API returned', {
      field: 'cursor',
    });
  }
  return { createdAt, id };
}
