import fc from 'fast-check';

/** The part of JSON Schema the API's OpenAPI document uses (zod's toJSONSchema output). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

/** A request a fuzz run sends: `body` is raw text (JSON or not), sent with `contentType` when set. */
export interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: string;
}

const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'];

/** Strings that broke stores and parsers: NUL, lone surrogates, escapes, numbers as text, huge ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    ...LONE_SURROGATES,
    'x\ud800y',
    '😀',
    '\u202eevil',
    'e\u0301',
    '%00',
    '%E0%A4%A',
    "'; DROP TABLE runs; --",
    '../../etc/passwd',
    '__proto__',
    'null',
    'NaN',
    '-1',
    '1e999',
    '0x10',
    ' 7 ',
    '99999-01-01',
    '-271821-04-20',
    '9'.repeat(400),
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc
    .tuple(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('\u0000', ...LONE_SURROGATES),
      fc.string({ maxLength: 12 }),
    )
    .map(([before, bad, after]) => before + bad + after),
  fc.constantFrom(1_000, 70_000, 300_000).map((length) => 'x'.repeat(length)),
);

export const hostileNumber: fc.Arbitrary<number> = fc.constantFrom(
  0,
  -1,
  1.5,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  1e20,
  -1e20,
  1e308,
  Number.MIN_VALUE,
);

/**
 * `depth` levels of arrays or objects around a leaf. Kept as a marker, not a value: JSON.stringify
 * would overflow this process's stack on it as it did the API's; toJsonText writes it out as text.
 */
export class Nested {
  constructor(
    readonly depth: number,
    readonly kind: 'array' | 'object',
  ) {}

  text(): string {
    const [open, close] = this.kind === 'array' ? ['[', ']'] : ['{"a":', '}'];
    return `${open.repeat(this.depth)}"leaf"${close.repeat(this.depth)}`;
  }
}

export const nested = (depth: number, kind: 'array' | 'object') => new Nested(depth, kind);

/** JSON text of a value that may hold Nested markers (each becomes its nesting, written out). */
export function toJsonText(value: unknown): string {
  const deep: Nested[] = [];
  const text =
    JSON.stringify(value, (_key, item: unknown) => {
      if (!(item instanceof Nested)) return item;
      deep.push(item);
      return `\u0000nested#${deep.length - 1}`;
    }) ?? 'null';
  return text.replace(/"\\u0000nested#(\d+)"/g, (_match, index: string) => deep[Number(index)]!.text());
}

/** The value with each Nested marker built for real (for transports that serialize it themselves). */
export function materialize(value: unknown): unknown {
  if (value instanceof Nested) {
    let built: unknown = 'leaf';
    for (let i = 0; i < value.depth; i++) built = value.kind === 'array' ? [built] : { a: built };
    return built;
  }
  if (Array.isArray(value)) return value.map(materialize);
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(copy, key, { value: materialize(item), enumerable: true, writable: true });
    }
    return copy;
  }
  return value;
}

/** Nesting depths around the limit (64) and far past it (stack overflow in JSON.stringify at ~5,000). */
export const hostileNesting = (maxDepth = 100_000): fc.Arbitrary<unknown> =>
  fc
    .tuple(
      fc.constantFrom(...[63, 64, 65, 500, 5_000, 100_000].filter((depth) => depth <= maxDepth)),
      fc.constantFrom<'array' | 'object'>('array', 'object'),
    )
    .map(([depth, kind]) => nested(depth, kind));

/** Any JSON value a client should not send: wrong types, bad strings or keys, deep nesting. */
export const hostileJson = (maxDepth?: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 3, arbitrary: hostileString },
    { weight: 2, arbitrary: hostileNumber },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { '': null }) },
    { weight: 1, arbitrary: hostileNesting(maxDepth) },
    {
      weight: 1,
      arbitrary: fc.dictionary(
        hostileString.filter((key) => key.length < 100),
        fc.jsonValue({ maxDepth: 1 }),
        {
          maxKeys: 3,
        },
      ),
    },
    { weight: 1, arbitrary: fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{}}')) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );

/** A value the schema allows (more or less: patterns and lengths are honoured where simple). */
export function fromSchema(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  if (!schema) return fc.jsonValue({ maxDepth: 2 });
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives && alternatives.length > 0) return fc.oneof(...alternatives.map(fromSchema));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return stringFor(schema);
    case 'integer':
      return fc.integer({
        min: Math.max(schema.minimum ?? -1000, -(2 ** 31)),
        max: Math.min(schema.maximum ?? 1000, 2 ** 31 - 1),
      });
    case 'number':
      return fc.double({
        min: schema.minimum ?? -1e6,
        max: schema.maximum ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fromSchema(schema.items), { maxLength: 3 });
    case 'object': {
      const properties = schema.properties ?? {};
      const model = Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [key, fromSchema(value)]),
      );
      return fc.record(model, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  const min = new Date('1970-01-01T00:00:00Z');
  const max = new Date('9999-12-31T23:59:59Z');
  if (schema.format === 'uuid') return fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8] });
  if (schema.format === 'date')
    return fc.date({ min, max, noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  if (schema.format === 'date-time')
    return fc.date({ min, max, noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.pattern && schema.pattern.length < 80) return fc.stringMatching(new RegExp(schema.pattern));
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
}

/**
 * Dates JavaScript holds and PostgreSQL or ISO 8601 may not: any year from -271821 to 275760, as
 * date-times and as dates, and notations JavaScript's Date accepts.
 */
export const hostileDate: fc.Arbitrary<string> = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace(/T.*$/, '')),
  fc.constantFrom(
    '99999-01-01',
    '-271821-04-20',
    '+275760-09-13',
    '0000-01-01',
    '1969-12-31',
    '2026-13-01',
    'May 1 2026',
    '8.64e15',
  ),
);

/** The value one time in eight, else undefined (an unknown field makes the whole request a 400). */
const rarely = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

/** A valid string with a NUL or a lone surrogate put in it, at the start, the end or inside. */
const tainted = (text: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(text, fc.constantFrom('\u0000', ...LONE_SURROGATES), fc.nat()).map(([valid, bad, at]) => {
    const i = at % (valid.length + 1);
    return valid.slice(0, i) + bad + valid.slice(i);
  });

/**
 * Values just past what the schema allows, or allowed in JavaScript but not in PostgreSQL: bounds ± 1,
 * counters past `integer`, dates of any year JavaScript can hold, valid strings with a NUL or a lone
 * surrogate in them, strings one past their length.
 */
export function edgeFor(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  if (!schema || Object.keys(schema).length === 0) return fc.oneof(hostileJson(), hostileDate);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives && alternatives.length > 0) return fc.oneof(...alternatives.map(edgeFor));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (schema.enum && schema.enum.length > 0) {
    const values = schema.enum.map(String);
    return fc.oneof(
      tainted(fc.constantFrom(...values)),
      fc.constantFrom(...values).map((v) => v.toUpperCase()),
    );
  }
  if (type === 'integer' || type === 'number') {
    const { minimum = 0, maximum = 2 ** 31 - 1 } = schema;
    return fc.constantFrom(
      minimum - 1,
      maximum + 1,
      minimum + 0.5,
      2 ** 31,
      2 ** 53 + 2,
      -(2 ** 63),
      1e20,
      1e300,
    );
  }
  if (type === 'string') {
    if (schema.format === 'date' || schema.format === 'date-time') return hostileDate;
    const tooLong = schema.maxLength === undefined ? [] : [fc.constant('y'.repeat(schema.maxLength + 1))];
    return fc.oneof(tainted(stringFor(schema)), ...tooLong);
  }
  return hostileJson();
}

/** Sometimes what the schema allows; more often a value at its edge, or something hostile instead. */
export const mostlyValid = (schema: JsonSchema | undefined): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 2, arbitrary: fromSchema(schema) },
    { weight: 3, arbitrary: edgeFor(schema) },
    { weight: 2, arbitrary: hostileJson() },
  );

/**
 * A JSON body for an operation: an object of the schema's fields, each valid or hostile, sometimes with
 * an unknown field; or something else entirely (another JSON value, hostile as a whole). With a good
 * body (`example`), also that body with exactly one field made hostile, so the hostile value gets past
 * the other fields' checks to wherever that field goes (the database, the sandbox queue).
 */
export function bodyFor(
  schema: JsonSchema | undefined,
  example?: fc.Arbitrary<Record<string, unknown>>,
): fc.Arbitrary<unknown> {
  const properties = schema?.properties ?? {};
  const fields = Object.fromEntries(
    Object.entries(properties).map(([key, value]) => [key, mostlyValid(value)]),
  );
  const withField = (body: Record<string, unknown>, key: string, value: unknown) => {
    const copy: Record<string, unknown> = { ...body };
    // defineProperty, so a key named "__proto__" is sent as a field, not lost as a prototype.
    Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    return copy;
  };
  const object = fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      rarely(fc.tuple(fc.constantFrom('unknownField', 'input', 'name', '__proto__'), hostileJson())),
    )
    .map(([record, extra]) => (extra ? withField(record, extra[0], extra[1]) : { ...record }));
  const choices = [
    { weight: 4, arbitrary: object as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: hostileJson() },
  ];
  const keys = Object.keys(properties);
  if (example && keys.length > 0) {
    const oneBad = fc
      .tuple(example, fc.constantFrom(...keys))
      .chain(([good, key]) => mostlyValid(properties[key]).map((bad) => withField(good, key, bad)));
    choices.push({ weight: 6, arbitrary: oneBad }, { weight: 1, arbitrary: example });
  }
  return fc.oneof(...choices);
}

/** A path segment: a known id, another UUID, or text that is malformed once in a URL. */
export function segmentFor(fixtures: readonly string[]): fc.Arbitrary<string> {
  const known = fixtures.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...fixtures) }] : [];
  return fc.oneof(
    ...known,
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.uuid().map((id) => id.toUpperCase()) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '%E0%A4%A',
        '%',
        '%zz',
        '%00',
        '%ED%A0%80',
        '%C0%AE',
        '..',
        '%2F',
        'a%2Fb',
        '0',
        'x'.repeat(5000),
      ),
    },
    {
      weight: 2,
      arbitrary: hostileString.filter((text) => text.length > 0 && text.length < 20_000).map(encodeSegment),
    },
  );
}

/** encodeURIComponent, except that a lone surrogate becomes the bytes a careless client sends for it. */
export function encodeSegment(text: string): string {
  return Array.from(text, (char) =>
    /^[\ud800-\udfff]$/.test(char) ? '%ED%A0%80' : encodeURIComponent(char),
  ).join('');
}

const asText = (value: unknown) => (typeof value === 'string' ? value : toJsonText(value));
const inQuery = (value: unknown) => [encodeSegment(asText(value).slice(0, 4000))];

/** A query value as a client might put it in a URL: encoded text, a repeated parameter, raw escapes. */
function queryValue(schema: JsonSchema | undefined): fc.Arbitrary<string[]> {
  const encoded = mostlyValid(schema).map(inQuery);
  return fc.oneof(
    { weight: 5, arbitrary: encoded },
    { weight: 1, arbitrary: fc.tuple(encoded, encoded).map(([a, b]) => [...a, ...b]) },
    { weight: 1, arbitrary: fc.constantFrom('%E0%A4%A', '%', '%00', '%ED%A0%80', '').map((raw) => [raw]) },
  );
}

type QueryValues = Partial<Record<string, string[]>>;

/** Whether fromSchema makes values the API accepts: not for free text (a cursor) or an unknown schema. */
function generatesValid(schema: JsonSchema | undefined): boolean {
  if (!schema) return false;
  if (schema.enum || schema.const !== undefined || schema.format || schema.pattern) return true;
  if (schema.anyOf ?? schema.oneOf) return (schema.anyOf ?? schema.oneOf ?? []).every(generatesValid);
  return schema.type === 'integer' || schema.type === 'number' || schema.type === 'boolean';
}

/**
 * The query string: each documented parameter present or not and anything; or valid parameters with
 * exactly one of them bad (one bad value among several is refused for that one, and a bad value only
 * reaches the database when the others pass); sometimes one nobody documented.
 */
export function queryFor(parameters: { name: string; schema?: JsonSchema }[]): fc.Arbitrary<string> {
  const anything = fc.record(Object.fromEntries(parameters.map((p) => [p.name, queryValue(p.schema)])), {
    requiredKeys: [],
  }) as fc.Arbitrary<QueryValues>;
  // Each valid parameter present only now and then: a value the generator cannot make valid (a cursor)
  // must not hide the one bad value from what comes after validation.
  const valid = fc
    .tuple(
      ...parameters.map((p) =>
        generatesValid(p.schema)
          ? fc.oneof(
              { weight: 7, arbitrary: fc.constant(undefined) },
              { weight: 3, arbitrary: fromSchema(p.schema).map(inQuery) },
            )
          : fc.constant(undefined),
      ),
    )
    .map((lists) => Object.fromEntries(parameters.map((p, i) => [p.name, lists[i]])) as QueryValues);
  const choices = [
    { weight: 1, arbitrary: anything },
    { weight: 1, arbitrary: valid },
  ];
  if (parameters.length > 0) {
    const oneBad = fc
      .tuple(valid, fc.constantFrom(...parameters))
      .chain(([values, bad]) => queryValue(bad.schema).map((list) => ({ ...values, [bad.name]: list })));
    choices.push({ weight: 5, arbitrary: oneBad });
  }
  return fc
    .tuple(
      fc.oneof(...choices),
      rarely(fc.tuple(fc.constantFrom('unknown', 'a[b]', '__proto__', '%00'), queryValue(undefined))),
    )
    .map(([values, extra]) => {
      const pairs = Object.entries(values).flatMap(([name, list]) =>
        (list ?? []).map((value) => `${encodeSegment(name)}=${value}`),
      );
      if (extra) pairs.push(...extra[1].map((value) => `${extra[0]}=${value}`));
      return pairs.length > 0 ? `?${pairs.join('&')}` : '';
    });
}

/** Who is calling: mostly the bootstrap key; sometimes nobody, a wrong key, or odd credentials. */
export function credentialsFor(key: string): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant({ authorization: `Bearer ${key}` }) },
    { weight: 1, arbitrary: fc.constant({}) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<Record<string, string>>(
        { authorization: 'Bearer mf_not_a_key_0000000000000000000000' },
        { authorization: 'Bearer \u00e9\u00ff\u0080' },
        { authorization: `Bearer ${'k'.repeat(8000)}` },
        { authorization: 'Basic YWRtaW46YWRtaW4=' },
        { authorization: 'Bearer' },
        { cookie: 'mf_session=%E0%A4%A' },
        { cookie: `mf_session=${'%00'.repeat(10)}; mf_session=x` },
        { cookie: 'mf_session="unterminated' },
      ),
    },
  );
}

/** How a body is sent: JSON as usual, or declared as something else, or not valid JSON at all. */
export function encodingFor(
  body: fc.Arbitrary<unknown>,
): fc.Arbitrary<{ body: string; contentType?: string }> {
  const json = body.map(toJsonText);
  return fc.oneof(
    { weight: 10, arbitrary: json.map((text) => ({ body: text, contentType: 'application/json' })) },
    {
      weight: 1,
      arbitrary: json.map((text) => ({ body: text, contentType: 'application/json; charset=utf-8' })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          json,
          fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin1',
            undefined,
          ),
        )
        .map(([text, contentType]) => ({ body: text, contentType })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '{',
          '{"a":1,}',
          "{'a':1}",
          'undefined',
          '\u0000',
          '[',
          '{"input":"\\ud800"}',
          '"just a string"',
          '1',
        )
        .map((text) => ({ body: text, contentType: 'application/json' })),
    },
    {
      weight: 1,
      arbitrary: fc.constant({
        body: `{"input":"${'x'.repeat(1_100_000)}"}`,
        contentType: 'application/json',
      }),
    },
  );
}

/** `<code>` is stable when it is UPPER_SNAKE_CASE, the shape every error code of the API has. */
export const STABLE_CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

/** Why an answer breaks the contract (no 5xx; every 4xx `{ error: { code, message, details? } }`), or undefined. */
export function contractBreach(status: number, contentType: string | null, text: string): string | undefined {
  if (status >= 500) return `answered ${status}`;
  if (status < 400) return undefined;
  if (!contentType?.startsWith('application/json')) return `a ${status} that is not JSON (${contentType})`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `a ${status} whose body is not JSON`;
  }
  const keys = typeof body === 'object' && body !== null ? Object.keys(body) : [];
  const error = (body as { error?: Record<string, unknown> }).error;
  if (keys.join() !== 'error' || typeof error !== 'object' || error === null)
    return `a ${status} without the envelope`;
  if (typeof error.code !== 'string' || !STABLE_CODE.test(error.code))
    return `a ${status} without a stable code`;
  if (typeof error.message !== 'string' || error.message.length === 0) return `a ${status} without a message`;
  const extra = Object.keys(error).filter(
    (key) => !['code', 'message', 'details', 'requestId'].includes(key),
  );
  if (extra.length > 0) return `a ${status} with unexpected fields ${extra.join(', ')}`;
  const issues = (error.details as { issues?: unknown } | undefined)?.issues;
  if (issues !== undefined) {
    const named =
      Array.isArray(issues) &&
      issues.length > 0 &&
      issues.every((i) => typeof i?.path === 'string' && typeof i?.message === 'string');
    if (!named) return `a ${status} whose details.issues do not name fields`;
  }
  return undefined;
}
