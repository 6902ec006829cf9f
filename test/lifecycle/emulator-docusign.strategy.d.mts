import type { ProviderFailure, SigningAuthStrategy } from 'signing-auth';

export declare class EmulatorDocuSignStrategy implements SigningAuthStrategy {
  constructor(options: {
    oauthUrl: string;
    ProviderFailure: typeof ProviderFailure;
    refreshTokenLifetimeMs?: number;
    id?: string;
  });
  readonly id: string;
  refreshCalls: number;
  validate: SigningAuthStrategy['validate'];
  usesAuthorizationCode: SigningAuthStrategy['usesAuthorizationCode'];
  refresh: SigningAuthStrategy['refresh'];
  authorizationHeader: SigningAuthStrategy['authorizationHeader'];
}
