/**
 * Text PostgreSQL can store. `text` and `jsonb` cannot hold U+0000 (SQLSTATE 22021, and 22P05 for
 * jsonb), and a lone UTF-16 surrogate (one half of a pair, "\ud800") is not Unicode at all: jsonb
 * refuses it (22P02) and Prisma refuses it as a raw parameter before the query is even sent.
 *
 * Whatever reaches the database from a script, a remote server or a person is either checked (data
 * whose exact value matters is refused with a clear error) or made storable (display text: each such
 * character becomes U+FFFD, the replacement character, as a decoder does with bytes it cannot read).
 */

/** A character the store cannot hold. */
export type UnstorableCharacter = 'nul' | 'surrogate';

export interface UnstorableFinding {
  /** A character the store cannot hold, or nesting deeper than the walk's bound. */
  problem: UnstorableCharacter | 'depth';
  /** Where, as a JSON path: `$`, `$.rows[3].name`; for a bad key, the path of that key. */
  path: string;
}

export const REPLACEMENT_CHARACTER = '\ufffd';

/** Stands in for a subtree of display data nested deeper than its bound (see storableDeep). */
export const TOO_DEEP_MARKER = '[nested too deeply]';

// ES2024's well-formed string methods (Node has them; the project's TypeScript lib is ES2023).
const wellFormed = String.prototype as unknown as {
  isWellFormed(this: string): boolean;
  toWellFormed(this: string): string;
};

export function unstorableCharacter(text: string): UnstorableCharacter | undefined {
  if (text.includes('\u0000')) return 'nul';
  if (!wellFormed.isWellFormed.call(text)) return 'surrogate';
  return undefined;
}

/** "a NUL character (U+0000)", for messages that say what is wrong. */
export function describeCharacter(problem: UnstorableCharacter): string {
  return problem === 'nul'
    ? 'a NUL character (U+0000)'
    : 'a lone UTF-16 surrogate (half of a surrogate pair)';
}

/** Display text made storable: NUL and lone surrogates become U+FFFD; other text is returned as is. */
export function storableText(text: string): string {
  if (unstorableCharacter(text) === undefined) return text;
  return wellFormed.toWellFormed.call(text).replaceAll('\u0000', REPLACEMENT_CHARACTER);
}

/**
 * The first string or key in plain JSON data the store cannot hold, or the first value nested deeper
 * than `maxDepth` (the walk never goes further, so it cannot overflow the stack on hostile data).
 */
export function findUnstorable(value: unknown, maxDepth: number): UnstorableFinding | undefined {
  return find(value, '$', 0, maxDepth);
}

function find(value: unknown, path: string, depth: number, maxDepth: number): UnstorableFinding | undefined {
  if (typeof value === 'string') {
    const problem = unstorableCharacter(value);
    return problem ? { problem, path } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= maxDepth) return { problem: 'depth', path };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = find(value[i], `${path}[${i}]`, depth + 1, maxDepth);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = path + segment(key);
    const problem = unstorableCharacter(key);
    if (problem) return { problem, path: at };
    const found = find(item, at, depth + 1, maxDepth);
    if (found) return found;
  }
  return undefined;
}

/**
 * A storable copy of plain JSON display data (log data, a recording): NUL and lone surrogates in
 * strings and keys become U+FFFD, and a subtree deeper than `maxDepth` becomes TOO_DEEP_MARKER, so
 * JSON.stringify of the result can never overflow the stack. Unchanged parts are shared, not copied.
 */
export function storableDeep<T>(value: T, maxDepth: number): T {
  return clean(value, 0, maxDepth) as T;
}

function clean(value: unknown, depth: number, maxDepth: number): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= maxDepth) return TOO_DEEP_MARKER;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const cleaned = clean(item, depth + 1, maxDepth);
      if (cleaned !== item && !copy) copy = value.slice(0, i);
      copy?.push(cleaned);
    }
    return copy ?? value;
  }
  const entries = Object.entries(value);
  let changed = false;
  const cleanedEntries = entries.map(([key, item]): [string, unknown] => {
    const cleanKey = storableText(key);
    const cleaned = clean(item, depth + 1, maxDepth);
    if (cleanKey !== key || cleaned !== item) changed = true;
    return [cleanKey, cleaned];
  });
  if (!changed) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of cleanedEntries) {
    // defineProperty, not assignment: a key named "__proto__" stays plain data.
    Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** `.name` or `["odd key"]`, with long keys shortened; JSON escaping keeps the path itself storable. */
function segment(key: string): string {
  if (/^[A-Za-z_$][\w$]{0,63}$/.test(key)) return `.${key}`;
  return `[${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}]`;
}
