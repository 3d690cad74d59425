import type { Prisma } from './generated/prisma/client';

/** Prisma's JSON input type: our values are JSON-safe by construction (validated or sandbox copies). */
export function asJson(value: unknown): Prisma.InputJsonValue {
  return value as Prisma.InputJsonValue;
}

/** JSON text for raw SQL parameters cast with `::jsonb`; SQL NULL for undefined. */
export function jsonParam(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
