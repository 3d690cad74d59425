import { z } from 'zod';

/**
 * Building blocks of the response schemas. Every schema that names a component of the served OpenAPI
 * document carries `.meta({ id })`: apps/api/src/openapi.ts turns the registry into
 * `#/components/schemas/<id>` and each operation refers to its success body by that id.
 */
export const isoDateTime = z.iso.datetime({ offset: true });
export const nullableDateTime = isoDateTime.nullable();
/** Any JSON value a script, a manifest or a sender chose (run input and output, event data). */
export const jsonValue = z.unknown();
/** Opaque cursor of the next page, null on the last one. */
export const nextCursor = z.string().nullable();

/** `{ items: [...] }`, the shape of every list answer. */
export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
/** `{ items: [...], nextCursor }`, the shape of every paginated list answer. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor });
