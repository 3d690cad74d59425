import { ErrorCodes, ValidationError } from './errors';

/**
 * A JSON Pointer (RFC 6901) into a run's input, naming at least one member: `/customerId`,
 * `/order/shop`, `/a~1b` (the member "a/b"). `~` must be followed by 0 or 1.
 */
export const JSON_POINTER_PATTERN = /^(\/([^~/]|~[01])*)+$/;

/** The members a JSON Pointer names, unescaped (`~1` is `/`, `~0` is `~`). */
export function jsonPointerSegments(pointer: string): string[] {
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value a JSON Pointer names in `document`, or undefined when it names nothing. */
export function resolveJsonPointer(document: unknown, pointer: string): unknown {
  let current: unknown = document;
  for (const segment of jsonPointerSegments(pointer)) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (current !== null && typeof current === 'object') {
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/** The longest concurrency key value a run may have (the value is stored on the run). */
export const MAX_CONCURRENCY_KEY_LENGTH = 500;

/**
 * Where a new run of a limited automation queues: the manifest's limit, and the line it waits in
 * among the automation's runs — the string form of the input's value at `concurrency.key` (numbers and
 * booleans stringified), or '' when the manifest has no key (one line for the whole automation). Null
 * for an automation without a limit. A keyed manifest whose key the input lacks (absent, null, empty,
 * an object or an array) is a 400 naming the field, with code RUN_CONCURRENCY_KEY_MISSING.
 */
export function runConcurrency(
  concurrency: { limit: number; key?: string } | undefined,
  input: unknown,
): { limit: number; key: string } | null {
  if (!concurrency) return null;
  if (concurrency.key === undefined) return { limit: concurrency.limit, key: '' };
  const value = resolveJsonPointer(input, concurrency.key);
  const path = ['input', ...jsonPointerSegments(concurrency.key)].join('.');
  const fail = (message: string): never => {
    throw new ValidationError([{ path, message }], ErrorCodes.RUN_CONCURRENCY_KEY_MISSING);
  };
  let key: string;
  if (typeof value === 'string') key = value;
  else if (typeof value === 'number' || typeof value === 'boolean') key = String(value);
  else if (value === undefined || value === null)
    return fail(`is required: the manifest's concurrency.key (${concurrency.key}) names it`);
  else return fail('must be a string, number or boolean: it is the concurrency key');
  if (key === '') return fail('must not be empty: it is the concurrency key');
  if (key.length > MAX_CONCURRENCY_KEY_LENGTH)
    return fail(`must be at most ${MAX_CONCURRENCY_KEY_LENGTH} characters: it is the concurrency key`);
  return { limit: concurrency.limit, key };
}
