import { randomBytes } from 'node:crypto';
import { UnauthorizedException } from '@nestjs/common';
import {
  ConnectionNotFoundError,
  ConnectionValidationError,
  UnknownProviderError,
} from '../connections/connection.errors.js';
import {
  AuthorizationNotSupportedError,
  AuthorizationStateError,
  ProviderAuthorizationError,
} from '../authorization/authorization.errors.js';
import { ProviderFailure } from '../providers/provider.errors.js';
import { SigningAuthModule } from '../signing-auth.module.js';
import { toAdminErrorBody } from './admin-error.js';
import { AdminTokenVerifier } from './admin-token.verifier.js';

function named(name: string, message: string, extra: object = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe('admin error mapping', () => {
  const route = { tenantId: 'acme', provider: 'docusign' };
  it.each([
    [
      new ConnectionValidationError('config.integrationKey', 'must be a GUID'),
      400,
      'config.integrationKey: must be a GUID',
    ],
    [
      new UnknownProviderError('nope', ['docusign']),
      400,
      'Unknown provider "nope"; known providers: docusign',
    ],
    [new ConnectionNotFoundError('acme', 'docusign'), 404, 'No docusign connection for tenant "acme"'],
    [new AuthorizationStateError('unknown', 'docusign'), 400, /is unknown/],
    [new AuthorizationStateError('expired', 'docusign', 'acme'), 400, /has expired/],
    [new AuthorizationStateError('wrong_provider', 'oauth2', 'acme'), 400, /another provider/],
    [new AuthorizationStateError('replayed', 'docusign', 'acme'), 409, /already used/],
    [
      new ProviderAuthorizationError('docusign', 'access_denied', 'the user said no'),
      400,
      /access_denied \(the user/,
    ],
    [
      new AuthorizationNotSupportedError('acme', 'docusign'),
      409,
      /does not use the authorization-code grant/,
    ],
    [named('SigningAuthReauthRequiredError', 'needs reauth'), 409, 'needs reauth'],
    [
      new ProviderFailure('transient', 'HTTP 503 from the token endpoint'),
      502,
      'docusign failed for tenant "acme": HTTP 503 from the token endpoint',
    ],
    [
      named('SigningAuthRefreshError', 'docusign refresh for tenant "acme" failed: timeout'),
      502,
      'docusign refresh for tenant "acme" failed: timeout',
    ],
    [new UnauthorizedException('no'), 401, 'no'],
    [new Error('db password=hunter2 exploded'), 500, 'Internal server error'],
  ])('%s → %i', (error, status, message) => {
    expect(toAdminErrorBody(error, route)).toEqual({
      statusCode: status,
      error: expect.any(String),
      message: typeof message === 'string' ? message : expect.stringMatching(message),
      ...(status === 400 ? { errors: expect.any(Array) } : {}),
    });
  });

  it('names the HTTP reason phrase', () => {
    expect(toAdminErrorBody(new ProviderFailure('transient', 'x')).error).toBe('Bad Gateway');
    expect(toAdminErrorBody(new AuthorizationStateError('replayed', 'docusign')).error).toBe('Conflict');
  });
});

describe('admin token verifier', () => {
  it('accepts only Bearer <configured token>', () => {
    const verifier = new AdminTokenVerifier(['t0ken-one', 't0ken-two', '']);
    expect(verifier.verifyHeader('Bearer t0ken-one')).toBe(true);
    expect(verifier.verifyHeader('bearer t0ken-two')).toBe(true);
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer t0ken-on',
      'Basic t0ken-one',
      't0ken-one',
    ]) {
      expect(verifier.verifyHeader(header)).toBe(false);
    }
  });
});

describe('admin API mounting', () => {
  const keys = [{ id: 'k1', key: randomBytes(32).toString('base64') }];
  it('mounts no controller unless adminApi is true', () => {
    expect(SigningAuthModule.forRoot({ encryptionKeys: keys }).controllers).toEqual([]);
    expect(
      SigningAuthModule.forRoot({ encryptionKeys: keys, adminApi: true, admin: { tokens: ['t'] } })
        .controllers?.length,
    ).toBeGreaterThan(0);
  });
});
