import type { ApiResponseNoStatusOptions } from '@nestjs/swagger';
import { AdminErrorDto } from './admin.dto.js';

/** A real answer of the admin API for each error status, as Swagger UI shows it. @internal */
const EXAMPLES: Record<number, Record<string, { summary: string; value: object }>> = {
  400: {
    missingFields: {
      summary: 'Every validation problem in one answer',
      value: {
        statusCode: 400,
        error: 'Bad Request',
        message:
          'config.integrationKey: is required; config.grant: is required (one of: authorization_code, jwt); secrets: must hold secretKey (authorization_code grant) or privateKey (jwt grant), depending on config.grant',
        errors: [
          { field: 'config.integrationKey', message: 'is required' },
          { field: 'config.grant', message: 'is required (one of: authorization_code, jwt)' },
          {
            field: 'secrets',
            message:
              'must hold secretKey (authorization_code grant) or privateKey (jwt grant), depending on config.grant',
          },
        ],
      },
    },
    unknownProvider: {
      summary: 'Unknown provider',
      value: {
        statusCode: 400,
        error: 'Bad Request',
        message:
          'Unknown provider "nosuch"; known providers: docusign, formstack-sign, signicat, docspring, oauth2',
        errors: [
          {
            field: 'provider',
            message: 'must be one of: docusign, formstack-sign, signicat, docspring, oauth2',
          },
        ],
      },
    },
  },
  401: {
    noToken: {
      summary: 'No or wrong admin token',
      value: { statusCode: 401, error: 'Unauthorized', message: 'The admin token is not valid' },
    },
  },
  403: {
    otherTenant: {
      summary: 'A connect session outside its tenant, its providers or its rights',
      value: {
        statusCode: 403,
        error: 'Forbidden',
        message: 'This connect session belongs to another tenant: it may act only on tenant "acme"',
      },
    },
  },
  404: {
    noConnection: {
      summary: 'No such connection',
      value: { statusCode: 404, error: 'Not Found', message: 'No docusign connection for tenant "acme"' },
    },
  },
  409: {
    pending: {
      summary: 'Wrong state for this action',
      value: {
        statusCode: 409,
        error: 'Conflict',
        message:
          'The docusign connection of tenant "acme" awaits consent: complete the authorization flow first',
      },
    },
  },
  502: {
    unreachable: {
      summary: 'The provider failed or could not be reached',
      value: {
        statusCode: 502,
        error: 'Bad Gateway',
        message:
          'Could not refresh the signicat token of tenant "acme": network_error: signicat client credentials for tenant "acme" failed: network error (ECONNREFUSED) reaching https://api.signicat.io; another host is set by the hosts.signicatUrls option (per generation) or hosts.signicatUrl (all); in the example app SIGNING_AUTH_SIGNICAT_URL',
      },
    },
  },
};

/** Response options for an error status: the error schema and a real example. @internal */
export function adminError(status: number, description: string): ApiResponseNoStatusOptions {
  return { type: AdminErrorDto, description, examples: EXAMPLES[status] };
}
