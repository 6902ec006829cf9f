import { connectionSchema, type ConnectionSchema } from './shared/connection-schema.js';
import { DocSpringConfigDto, DocSpringSecretsDto } from './docspring/docspring.dto.js';
import { DocuSignConfigDto, DocuSignSecretsDto } from './docusign/docusign.dto.js';
import { FormstackSignConfigDto, FormstackSignSecretsDto } from './formstack-sign/formstack-sign.dto.js';
import { OAuth2ConfigDto, OAuth2SecretsDto } from './oauth2/oauth2.dto.js';
import { SignicatConfigDto, SignicatSecretsDto } from './signicat/signicat.dto.js';

/**
 * The connection schema of every built-in provider, derived from the DTOs their strategies validate with.
 * Static (no module options needed), so the OpenAPI decorators can use it too. The examples pass validation.
 * @internal
 */
export const BUILT_IN_CONNECTION_SCHEMAS: readonly ConnectionSchema[] = [
  connectionSchema(
    {
      provider: 'docusign',
      title: 'DocuSign',
      description:
        'eSignature REST API. Grant authorization_code: save, then Connect (a DocuSign user signs in and consents); jwt: your app acts as the user named in User id, with an RSA key.',
      example: {
        config: {
          environment: 'demo',
          integrationKey: '8f2c1a6e-3b4d-4e5f-9a0b-1c2d3e4f5a6b',
          grant: 'authorization_code',
        },
        secrets: { secretKey: 'your-integration-key-secret' },
      },
    },
    DocuSignConfigDto,
    DocuSignSecretsDto,
  ),
  connectionSchema(
    {
      provider: 'formstack-sign',
      title: 'Formstack Sign',
      description: 'Formstack Sign (formerly InsureSign) OAuth 2.0.',
      example: {
        config: { clientId: 'your-client-id', grant: 'client_credentials' },
        secrets: { clientSecret: 'your-client-secret' },
      },
    },
    FormstackSignConfigDto,
    FormstackSignSecretsDto,
  ),
  connectionSchema(
    {
      provider: 'signicat',
      title: 'Signicat',
      description: 'Client credentials (no user): Express, the new platform, or the deprecated Idfy host.',
      example: {
        config: {
          clientId: 'your-client-id',
          generation: 'express',
          scopes: ['document_read', 'document_write'],
        },
        secrets: { clientSecret: 'your-client-secret' },
      },
    },
    SignicatConfigDto,
    SignicatSecretsDto,
  ),
  connectionSchema(
    {
      provider: 'docspring',
      title: 'DocSpring',
      description: 'API token (HTTP Basic): no OAuth, nothing to connect.',
      example: {
        config: { region: 'us', tokenId: 'your-api-token-id' },
        secrets: { tokenSecret: 'your-api-token-secret' },
      },
    },
    DocSpringConfigDto,
    DocSpringSecretsDto,
  ),
  connectionSchema(
    {
      provider: 'oauth2',
      title: 'Generic OAuth 2.0',
      description: 'Any standard OAuth 2.0 provider: the endpoints come from the connection.',
      example: {
        config: {
          authorizationUrl: 'https://idp.example.com/oauth2/authorize',
          tokenUrl: 'https://idp.example.com/oauth2/token',
          clientId: 'your-client-id',
          grant: 'authorization_code',
          scopes: ['openid', 'offline_access'],
        },
        secrets: { clientSecret: 'your-client-secret' },
      },
    },
    OAuth2ConfigDto,
    OAuth2SecretsDto,
  ),
];

/** The built-in schema of `provider`. @internal */
export function builtInConnectionSchema(provider: string): ConnectionSchema | undefined {
  return BUILT_IN_CONNECTION_SCHEMAS.find((schema) => schema.provider === provider);
}
