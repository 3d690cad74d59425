import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Mendflow API')
    .setDescription(
      'Runs JavaScript automations in a sandbox, classifies failures and mends broken scripts. ' +
        'Errors are always { "error": { "code", "message", "details" } }.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (mf_…)' })
    .addCookieAuth('mf_session', {
      type: 'apiKey',
      in: 'cookie',
      description:
        'The dashboard session (POST /api/v1/auth/login); writes also need its x-csrf-token header',
    })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Serves the document at /api/openapi.json and an explorer at /api/docs. */
export function mountOpenApi(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json' });
}
