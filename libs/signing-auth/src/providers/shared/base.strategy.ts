import type { NetworkPolicy } from '../../network/network-policy.js';
import type { ProviderHostOverrides } from '../../signing-auth.options.js';
import { builtInConnectionSchema } from '../built-in-schemas.js';
import { ProviderFailure } from '../provider.errors.js';
import type { ConnectionSchema } from './connection-schema.js';
import type {
  SigningAuthStrategy,
  StrategyConnection,
  StrategyContext,
  TokenGrant,
  ValidatedConnectionInput,
} from '../strategy.interface.js';
import { classifyNetworkFailure, redact, type FailureContext } from './provider-error.classifier.js';
import { ProviderHttpClient } from './provider-http.client.js';
import { headerFor } from './token-response.js';

/** What the built-in strategies are built from (module options, resolved). @internal */
export interface BuiltInStrategyDeps {
  hosts: ProviderHostOverrides;
  /** Timeout of one provider call. */
  providerTimeoutMs: number;
  /** Where URLs from a connection's config may lead (generic OAuth 2.0 endpoints). */
  network: NetworkPolicy;
  /** The OAuth callback URL the library serves for a provider. */
  redirectUri(provider: string): string;
  /** DocuSign refresh-token lifetime assumed when issued (DocuSign says "typically 30 days"). */
  docusignRefreshTokenLifetimeMs: number;
  /** Lifetime of the DocuSign JWT assertion (at most 3600 s). */
  docusignJwtLifetimeSeconds: number;
}

/**
 * What the built-in strategies share: the HTTP client, failure contexts that know which values to
 * redact, the `Authorization` header and the fallback error classification.
 * @internal
 */
export abstract class BaseProviderStrategy implements SigningAuthStrategy {
  abstract readonly id: string;
  protected readonly http: ProviderHttpClient;

  constructor(protected readonly deps: BuiltInStrategyDeps) {
    this.http = new ProviderHttpClient(deps.providerTimeoutMs, deps.network);
  }

  /** Closes the keep-alive sockets this strategy's provider calls hold open (at shutdown). */
  close(): void {
    this.http.close();
  }

  abstract validate(input: { config: unknown; secrets: unknown }): ValidatedConnectionInput;

  /** The schema built from the DTOs `validate` checks against (labels, help, required fields, examples). */
  describeConnection(): ConnectionSchema | undefined {
    return builtInConnectionSchema(this.id);
  }
  abstract usesAuthorizationCode(connection: StrategyConnection): boolean;
  abstract refresh(connection: StrategyConnection, context: StrategyContext): Promise<TokenGrant>;

  /** Checks credentials that need no user when saved: the first token request decides. */
  verify(connection: StrategyConnection, context: StrategyContext): Promise<TokenGrant> {
    return this.refresh(connection, context);
  }

  authorizationHeader(grant: Pick<TokenGrant, 'accessToken' | 'tokenType'>): string {
    return headerFor(grant);
  }

  classifyError(error: unknown, connection: StrategyConnection): ProviderFailure {
    if (error instanceof ProviderFailure) return error;
    const ctx = this.failureContext(connection, 'request');
    return classifyNetworkFailure(ctx, error, (error as { name?: string })?.name === 'TimeoutError');
  }

  /** A failure context whose redaction list holds every secret the connection has. */
  protected failureContext(
    connection: StrategyConnection,
    operation: string,
    extra: (string | undefined | null)[] = [],
  ): FailureContext {
    return {
      provider: this.id,
      tenantId: connection.tenantId,
      operation,
      secrets: [...Object.values(connection.secrets ?? {}), connection.refreshToken, ...extra],
    };
  }

  /** Refreshing an authorization-code grant without a refresh token: only a new consent helps. */
  protected missingRefreshToken(connection: StrategyConnection): ProviderFailure {
    return new ProviderFailure(
      'needs_reauth',
      `${this.id} refresh for tenant "${connection.tenantId}": no refresh token is stored; the tenant must authorize again`,
      { code: 'no_refresh_token' },
    );
  }

  protected redacted(text: string, connection: StrategyConnection): string {
    return redact(text, [...Object.values(connection.secrets ?? {}), connection.refreshToken]);
  }
}

/** Joins a base URL and a path without doubling slashes. @internal */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
