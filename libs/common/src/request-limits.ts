import { z } from 'zod';
import { ErrorCodes, ValidationError } from './errors';
import { describeCharacter, findUnstorable } from './storable';

/**
 * What any request to the API may carry (docs/api.md, "Limits"). The HTTP layer applies the body and
 * character limits to every request at once (apps/api/src/common/request-guards.ts); the schemas
 * below bound the values that reach PostgreSQL as numbers or timestamps.
 */
export const REQUEST_LIMITS = {
  /** Bytes of one JSON body, after any decompression (413 PAYLOAD_TOO_LARGE beyond). */
  maxBodyBytes: 1_048_576,
  /** Levels of nested objects and arrays in one JSON body, the body itself being the first (400 JSON_TOO_DEEP). */
  maxJsonDepth: 64,
  /** The earliest and the latest instant a date parameter may name (PostgreSQL and ISO 8601 both hold them). */
  earliestDate: '1970-01-01T00:00:00.000Z',
  latestDate: '9999-12-31T23:59:59.999Z',
  /** The largest counter (a version number, an event seq) a request may name: PostgreSQL's `integer`. */
  maxInt: 2_147_483_647,
} as const;

const EARLIEST = Date.parse(REQUEST_LIMITS.earliestDate);
const LATEST = Date.parse(REQUEST_LIMITS.latestDate);
const MAX_PATH_LENGTH = 200;

/**
 * Refuses request data (a parsed JSON body, the query) that PostgreSQL could not store or that would
 * overflow the stack of whatever walks it later (JSON.stringify): the first string or key with a NUL
 * or a lone surrogate is a 400 INVALID_CHARACTERS, nesting past `maxDepth` a 400 JSON_TOO_DEEP, each
 * naming the field (`input.rows[3].name`). The walk itself stops at `maxDepth`, so it cannot overflow.
 */
export function checkRequestData(value: unknown, maxDepth: number = REQUEST_LIMITS.maxJsonDepth): void {
  const found = findUnstorable(value, maxDepth);
  if (!found) return;
  const path = fieldPath(found.path);
  if (found.problem === 'depth') {
    throw new ValidationError(
      [{ path, message: `nests objects and arrays deeper than ${maxDepth} levels` }],
      ErrorCodes.JSON_TOO_DEEP,
    );
  }
  throw new ValidationError(
    [{ path, message: `contains ${describeCharacter(found.problem)}, which cannot be stored` }],
    ErrorCodes.INVALID_CHARACTERS,
  );
}

/** `$.input.rows[3]` → `input.rows[3]`; `$` (the value itself) → ''. Very long paths are shortened. */
function fieldPath(jsonPath: string): string {
  const path = jsonPath.replace(/^\$\.?/, '');
  return path.length > MAX_PATH_LENGTH ? `${path.slice(0, MAX_PATH_LENGTH)}…` : path;
}

const DATE_FORMS =
  'must be an ISO 8601 date (2026-05-01) or date-time with a time zone (2026-05-01T12:00:00Z)';

/**
 * A date query parameter: `2026-05-01` (midnight UTC) or an ISO 8601 date-time with `Z` or an offset,
 * between REQUEST_LIMITS.earliestDate and latestDate. Anything else (`99999-01-01`, a local time whose
 * zone the server would guess, "May 1") is a 400 naming the parameter.
 */
export const dateParam = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], { error: DATE_FORMS })
  .transform((text) => new Date(text))
  .refine((date) => !Number.isNaN(date.getTime()), { error: 'is not a date of the calendar', abort: true })
  .refine((date) => date.getTime() >= EARLIEST && date.getTime() <= LATEST, {
    error: `must be between ${REQUEST_LIMITS.earliestDate.slice(0, 10)} and ${REQUEST_LIMITS.latestDate.slice(0, 10)}`,
  });

/** A whole number a request names that is stored in an `integer` column (0 … 2^31 − 1). */
export const intParam = z.int().min(0).max(REQUEST_LIMITS.maxInt);
