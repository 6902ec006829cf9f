import {
  ConnectionValidationError,
  type SigningAuthStrategy,
  type TokenGrant,
  type ValidatedConnectionInput,
} from 'signing-auth';

/**
 * A minimal custom strategy (the kind a user writes for their own provider) used where a test is about the
 * store, not about a provider protocol. It issues tokens locally and counts its calls.
 */
export class StaticTokenStrategy implements SigningAuthStrategy {
  readonly id = 'static-test';
  refreshCalls = 0;

  validate(input: { config: unknown; secrets: unknown }): ValidatedConnectionInput {
    const config = (input.config ?? {}) as Record<string, unknown>;
    const secrets = (input.secrets ?? {}) as Record<string, unknown>;
    if (typeof config.clientId !== 'string' || config.clientId === '') {
      throw new ConnectionValidationError('config.clientId', 'is required');
    }
    if (typeof secrets.clientSecret !== 'string' || secrets.clientSecret === '') {
      throw new ConnectionValidationError('secrets.clientSecret', 'is required');
    }
    return {
      config: { clientId: config.clientId },
      secrets: { clientSecret: secrets.clientSecret },
      grantType: 'client_credentials',
      scopes: [],
    };
  }

  usesAuthorizationCode(): boolean {
    return false;
  }

  async refresh(): Promise<TokenGrant> {
    this.refreshCalls++;
    return {
      accessToken: `tok-${this.refreshCalls}`,
      tokenType: 'Bearer',
      expiresAt: new Date(Date.now() + 3600_000),
    };
  }

  authorizationHeader(grant: Pick<TokenGrant, 'accessToken' | 'tokenType'>): string {
    return `${grant.tokenType} ${grant.accessToken}`;
  }
}
