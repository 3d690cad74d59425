import type { PipeTransform } from '@nestjs/common';
import { parseOrThrow } from '@mendflow/common';
import type { z } from 'zod';

/**
 * Validates a body or query with a shared zod schema; a bad field becomes a 400 naming it. The schema of
 * a query pipe also documents the route's query parameters (see documentQueryParameters).
 */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    readonly schema: S,
    private readonly prefix = '',
  ) {}

  transform(value: unknown): z.output<S> {
    return parseOrThrow(this.schema, value, { prefix: this.prefix });
  }
}
