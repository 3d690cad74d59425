import type { z } from 'zod';
import { type FieldIssue, ValidationError } from './errors';

/** Turns zod issues into our field issues, with dotted paths relative to `prefix`. */
export function toFieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => [path, key].filter(Boolean).join('.'));
      return {
        path: keys[0] ?? path,
        message: `unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`,
      };
    }
    return { path, message: issue.message };
  });
}

/** Parses `value` or throws a ValidationError naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: { prefix?: string; code?: string } = {},
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(toFieldIssues(result.error, options.prefix), options.code);
}
