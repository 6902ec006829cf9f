import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI for the admin API: the UI at `/docs`, the JSON at `/docs-json`. */
export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('signing-auth admin API')
    .setDescription(
      'Per-tenant connections to e-signature providers. Every route except the OAuth callback needs ' +
        '`Authorization: Bearer <admin token>`. Errors are `{ statusCode, error, message }`.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config));
}
