import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Response } from 'express';

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

/**
 * Swagger UI runs on the same origin as the Connect page, whose session storage holds an admin token: a
 * script injected into `/docs` could read it. Its own files only; inline styles (the UI's template has
 * them) and data: images (its icons) are the only relaxations.
 */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** OpenAPI for the admin API: the UI at `/docs`, the JSON at `/docs-json`. */
export function setupSwagger(app: INestApplication): void {
  // Registered before the UI's routes, so every /docs answer (page, scripts, JSON) carries the headers.
  app.use(['/docs', '/docs-json', '/docs-yaml'], (_req: unknown, res: Response, next: () => void) => {
    res.setHeader('Content-Security-Policy', DOCS_CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  SwaggerModule.setup('docs', app, () => createOpenApiDocument(app));
}
