import type { INestApplication } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { z } from 'zod';
import { openApiSchema } from './common/openapi';
import { applyContracts } from './common/openapi-contract';
import { ZodPipe } from './common/zod.pipe';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Mendflow API')
    .setDescription(
      'Runs JavaScript automations in a sandbox, classifies failures and mends broken scripts. ' +
        'Errors are always { "error": { "code", "message", "details" } }.',
    )
    .setVersion('1')
    .setOpenAPIVersion('3.1.0')
    // Relative: the document is served by the API it describes, so clients resolve it against its URL.
    .addServer('/', 'This Mendflow API')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  documentQueryParameters(app, document);
  applyContracts(app, document);
  // OpenAPI 3.1 names a license by its SPDX identifier (Nest's builder only knows name and URL).
  document.info.license = { name: 'Apache-2.0', identifier: 'Apache-2.0' } as typeof document.info.license;
  return document;
}

/** Serves the document at /api/openapi.json and an explorer at /api/docs. */
export function mountOpenApi(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json' });
}

type ParameterObject = NonNullable<OpenAPIObject['paths'][string]['get']>['parameters'];

/**
 * Query parameters are validated by the zod schema of a `@Query(new ZodPipe(schema))` argument, which
 * Nest's swagger module cannot see into; this adds each of the schema's fields to the operation
 * (found by swagger's operation id, `Controller_method`), so the document lists what the pipe accepts.
 */
function documentQueryParameters(app: INestApplication, document: OpenAPIObject): void {
  const operations = new Map<string, { parameters?: ParameterObject }>();
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      const { operationId } = (operation ?? {}) as { operationId?: unknown };
      if (typeof operationId === 'string') operations.set(operationId, operation as never);
    }
  }
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (typeof controller !== 'function') continue;
      for (const method of Object.getOwnPropertyNames(controller.prototype)) {
        const operation = operations.get(`${controller.name}_${method}`);
        if (!operation) continue;
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
          string,
          { data?: unknown; pipes?: unknown[] }
        >;
        for (const [key, arg] of Object.entries(args)) {
          if (Number(key.split(':')[0]) !== RouteParamtypes.QUERY || arg.data !== undefined) continue;
          const pipe = arg.pipes?.find(
            (candidate): candidate is ZodPipe<z.ZodType> => candidate instanceof ZodPipe,
          );
          if (pipe) operation.parameters = [...(operation.parameters ?? []), ...queryParameters(pipe.schema)];
        }
      }
    }
  }
}

function queryParameters(schema: z.ZodType): NonNullable<ParameterObject> {
  const json = openApiSchema(schema) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query' as const,
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}
