import type { INestApplication } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { IS_PUBLIC } from '../auth/principal';
import { API_CONTRACT, type StoredContract } from './api-contract';

// Importing the contracts registers every response schema (and the error envelope) with zod's registry.
import '@mendflow/contracts/api';

const COMPONENT_REF = (id: string) => `#/components/schemas/${id}`;

/** Every error status the API documents, with what it means here; each answers the error envelope. */
const ERROR_RESPONSES: Record<number, { name: string; description: string }> = {
  400: {
    name: 'BadRequest',
    description: 'The request is malformed or a field is invalid (the code and details name it)',
  },
  401: { name: 'Unauthenticated', description: 'No valid API key or session' },
  403: {
    name: 'Forbidden',
    description: "The caller's role does not hold the permission, or a session write lacks its x-csrf-token",
  },
  404: { name: 'NotFound', description: 'Nothing with that id in the workspace' },
  409: { name: 'Conflict', description: 'The resource is not in a state that allows this' },
  413: { name: 'PayloadTooLarge', description: 'The request body is larger than the limit' },
  415: { name: 'UnsupportedMediaType', description: 'A request body that is not application/json' },
  422: { name: 'Unprocessable', description: 'The request was understood but its run failed (RUN_FAILED)' },
  429: { name: 'RateLimited', description: 'Too many attempts: wait for the Retry-After seconds' },
  503: {
    name: 'ServiceUnavailable',
    description:
      'PostgreSQL or Redis cannot be reached (SERVICE_UNAVAILABLE, details.dependency names it): retry after the Retry-After seconds',
  },
};

export const SECURITY_SCHEMES = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key: an opaque `mf_…` token (not a JWT) created under Settings or POST /api/v1/api-keys, sent as `Authorization: Bearer mf_…`',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'mf_session',
    description: 'The dashboard session cookie set by POST /api/v1/auth/login',
  },
  csrf: {
    type: 'apiKey',
    in: 'header',
    name: 'x-csrf-token',
    description: "A session's CSRF token (from sign-in or GET /me): every session write must echo it",
  },
} as const;

type Operation = {
  operationId?: string;
  responses?: Record<string, unknown>;
  security?: Record<string, string[]>[];
  parameters?: { in: string }[];
};

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Writes what each operation's @ApiContract declares into the document: the success answers with their
 * component schemas, the error answers (derived from the route as far as it can be: 400 and 503 always, 401 and
 * 403 unless @Public(), 404 with path parameters, 413/415 with a JSON body, 429 behind a throttling
 * guard, plus the contract's own), and the operation's security (none for public routes). Then makes the
 * document OpenAPI 3.1 with the response schemas as components. An operation without a contract is a
 * build error: nothing is served undocumented.
 */
export function applyContracts(app: INestApplication, document: OpenAPIObject): void {
  const reflector = app.get(Reflector);
  const operations = new Map<string, { operation: Operation; method: string }>();
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (operation?.operationId) operations.set(operation.operationId, { operation, method });
    }
  }
  const documented = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (typeof controller !== 'function') continue;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const found = operations.get(`${controller.name}_${name}`);
        if (!found) continue;
        const handler = (controller.prototype as Record<string, () => unknown>)[name] as () => unknown;
        const contract = Reflect.getMetadata(API_CONTRACT, handler) as StoredContract | undefined;
        if (!contract) continue;
        documented.add(`${controller.name}_${name}`);
        const isPublic =
          reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [handler, controller]) === true;
        const guards = [
          ...((Reflect.getMetadata(GUARDS_METADATA, controller) ?? []) as { name?: string }[]),
          ...((Reflect.getMetadata(GUARDS_METADATA, handler) ?? []) as { name?: string }[]),
        ];
        describeOperation(found.operation, found.method, contract, {
          isPublic,
          throttled: guards.some((guard) => /Throttl/.test(guard.name ?? '')),
        });
      }
    }
  }
  const undocumented = [...operations.keys()].filter((id) => !documented.has(id));
  if (undocumented.length > 0) {
    throw new Error(
      `operations without @ApiContract (apps/api/src/common/api-contract.ts): ${undocumented.join(', ')}`,
    );
  }
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    uri: COMPONENT_REF,
  });
  // Only the error answers some operation refers to become components: the document holds nothing unused.
  const used = new Set<number>(
    Object.values(document.paths).flatMap((item) =>
      HTTP_METHODS.flatMap((method) =>
        Object.keys((item as Record<string, Operation | undefined>)[method]?.responses ?? {})
          .map(Number)
          .filter((status) => status >= 400),
      ),
    ),
  );
  document.openapi = '3.1.0';
  document.components = {
    ...document.components,
    schemas: Object.fromEntries(
      Object.entries(schemas).map(([id, schema]) => {
        const { $schema: _dialect, $id: _id, id: _meta, ...rest } = schema as Record<string, unknown>;
        return [id, rest];
      }),
    ),
    responses: Object.fromEntries(
      [...used].sort().map((status) => [
        (ERROR_RESPONSES[status] as { name: string }).name,
        {
          description: (ERROR_RESPONSES[status] as { description: string }).description,
          content: { 'application/json': { schema: { $ref: COMPONENT_REF('Error') } } },
        },
      ]),
    ),
    securitySchemes: { ...SECURITY_SCHEMES },
  };
}

function describeOperation(
  operation: Operation,
  method: string,
  contract: StoredContract,
  route: { isPublic: boolean; throttled: boolean },
): void {
  const responses: Record<string, unknown> = {};
  for (const { status, schema, description } of contract.responses) {
    const id = schema ? z.globalRegistry.get(schema)?.id : undefined;
    if (schema && !id) throw new Error(`${operation.operationId}: a response schema without .meta({ id })`);
    responses[String(status)] = {
      description: description ?? (schema ? `${id}` : 'No content'),
      ...(id && { content: { 'application/json': { schema: { $ref: COMPONENT_REF(id) } } } }),
    };
  }
  // 503: any operation may find PostgreSQL or Redis out of reach (HttpErrorFilter).
  const errors = new Set<number>([400, 503, ...contract.errors]);
  if (!route.isPublic) {
    errors.add(401);
    errors.add(403);
  }
  if (operation.parameters?.some((parameter) => parameter.in === 'path')) errors.add(404);
  if (contract.hasBody) {
    errors.add(413);
    errors.add(415);
  }
  if (route.throttled) errors.add(429);
  for (const status of [...errors].sort()) {
    const known = ERROR_RESPONSES[status];
    if (!known) throw new Error(`${operation.operationId}: no description for error status ${status}`);
    responses[String(status)] = { $ref: `#/components/responses/${known.name}` };
  }
  operation.responses = responses;
  const writes = method !== 'get' && method !== 'head';
  operation.security = route.isPublic
    ? []
    : [{ apiKey: [] }, writes ? { session: [], csrf: [] } : { session: [] }];
}
