import type { Type } from '@nestjs/common';
import { ApiProperty, getSchemaPath, type ApiBodyOptions } from '@nestjs/swagger';
import { BUILT_IN_CONNECTION_SCHEMAS } from '../providers/built-in-schemas.js';
import type { ConnectionPartSchema, ConnectionSchema } from '../providers/shared/connection-schema.js';

/**
 * One OpenAPI model per built-in provider for the PUT body, made from the connection schemas the validators
 * use, so `/docs` shows each provider's fields, required marks and choices. `provider` is the discriminator
 * (optional in practice: the path names the provider; when sent it must match).
 * @internal
 */
export const CONNECTION_BODY_MODELS: ReadonlyArray<{ schema: ConnectionSchema; model: Type<unknown> }> =
  BUILT_IN_CONNECTION_SCHEMAS.map((schema) => ({ schema, model: modelOf(schema) }));

function modelOf(schema: ConnectionSchema): Type<unknown> {
  const model = class {};
  const name = `${schema.title.replace(/[^A-Za-z0-9]/g, '')}ConnectionBody`; // DocuSignConnectionBody
  Object.defineProperty(model, 'name', { value: name });
  ApiProperty({ enum: [schema.provider], description: 'The provider of the path (optional; must match)' })(
    model.prototype,
    'provider',
  );
  ApiProperty(part(schema.config, 'Non-secret settings'))(model.prototype, 'config');
  ApiProperty(part(schema.secrets, 'Secrets: stored encrypted, never returned'))(model.prototype, 'secrets');
  return model;
}

function part(schema: ConnectionPartSchema, description: string): Parameters<typeof ApiProperty>[0] {
  return {
    type: 'object',
    description,
    properties: schema.properties,
    required: schema.required,
    additionalProperties: false,
  } as unknown as Parameters<typeof ApiProperty>[0];
}

/** The PUT body: one of the provider models, told apart by `provider`. @internal */
export function connectionBodySchema(): Extract<ApiBodyOptions, { schema: unknown }>['schema'] {
  return {
    oneOf: CONNECTION_BODY_MODELS.map(({ model }) => ({ $ref: getSchemaPath(model) })),
    discriminator: {
      propertyName: 'provider',
      mapping: Object.fromEntries(
        CONNECTION_BODY_MODELS.map(({ schema, model }) => [schema.provider, getSchemaPath(model)]),
      ),
    },
  };
}

/** A working example per provider (the one in Try-it-out is the first: DocuSign, with `grant`). @internal */
export function connectionBodyExamples(): Record<string, { summary: string; value: object }> {
  return Object.fromEntries(
    CONNECTION_BODY_MODELS.map(({ schema }) => [
      schema.provider,
      { summary: schema.title, value: { provider: schema.provider, ...schema.example } },
    ]),
  );
}
