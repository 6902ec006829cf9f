import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/** The OpenAPI document of the admin API (what `/docs` shows and `/docs-json` serves). */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('signing-auth admin API')
    .setDescription(
      'Per-tenant connections to e-signature providers. Every route except the OAuth callback needs ' +
        '`Authorization: Bearer <admin token>`; the routes marked `x-connect-session` also take a connect ' +
        "session's token (`sa_cs_…`) for that session's tenant and providers. JSON bodies need " +
        '`Content-Type: application/json`. ' +
        'Errors are `{ statusCode, error, message }`; a 400 adds `errors: [{ field, message }]` listing every ' +
        'problem. `GET /signing-auth/providers` describes the fields of each provider.',
    )
    .setVersion('1')
    // Admin tokens are opaque strings, not JWTs: no bearerFormat.
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description:
        'An admin token (SIGNING_AUTH_ADMIN_TOKENS; in development printed at start-up), or a connect ' +
        'session token (sa_cs_…) on the routes marked x-connect-session',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  for (const scheme of Object.values(document.components?.securitySchemes ?? {})) {
    if ('bearerFormat' in scheme) delete scheme.bearerFormat;
  }
  return document;
}

/** OpenAPI for the admin API: the UI at `/docs`, the JSON at `/docs-json`. */
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => createOpenApiDocument(app));
}
