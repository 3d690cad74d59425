import { z } from 'zod';

/**
 * JSON Schema for OpenAPI from the same zod schema that validates the request. Schemas registered with
 * `.meta({ id })` come out as `$ref`s into a local `$defs`, which an OpenAPI operation cannot resolve:
 * they are inlined here (the contract schemas are trees, never cycles).
 */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const {
    $schema: _ignored,
    $defs,
    ...jsonSchema
  } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  });
  return inlineDefs(jsonSchema, $defs ?? {}) as Record<string, unknown>;
}

const LOCAL_DEF = '#/$defs/';

function inlineDefs(node: unknown, defs: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((item) => inlineDefs(item, defs));
  if (node === null || typeof node !== 'object') return node;
  const { $ref, ...rest } = node as Record<string, unknown>;
  const inlined = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, inlineDefs(value, defs)]),
  );
  if (typeof $ref === 'string' && $ref.startsWith(LOCAL_DEF)) {
    const target = defs[$ref.slice(LOCAL_DEF.length)];
    if (target === undefined) throw new Error(`openApiSchema: no definition for ${$ref}`);
    return { ...(inlineDefs(target, defs) as Record<string, unknown>), ...inlined };
  }
  return $ref === undefined ? inlined : { $ref, ...inlined };
}
