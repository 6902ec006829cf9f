import type {
  AuthorizationUrlParams,
  CredentialScope,
  CodeExchangeParams,
  StrategyConnection,
  StrategyContext,
  TokenGrant,
  ValidatedConnectionInput,
} from '../strategy.interface.js';
import { BaseProviderStrategy } from '../shared/base.strategy.js';
import { compact, ConnectionProblems } from '../shared/connection-validation.js';
import { queryString } from '../shared/pkce.js';
import { oauthBasicAuth } from '../shared/provider-http.client.js';
import { grantFromTokenResponse } from '../shared/token-response.js';
import { OAuth2ConfigDto, OAuth2SecretsDto } from './oauth2.dto.js';

interface OAuth2Config {
  authorizationUrl?: string;
  tokenUrl: string;
  clientId: string;
  grant: 'authorization_code' | 'client_credentials';
  scopes?: string[];
  clientAuth?: 'basic' | 'post';
  pkce?: boolean;
  apiBaseUrls?: string[];
  /** RFC 9207 issuer identifier; see `authorizationIssuer`. */
  issuer?: string;
}

/**
 * Any RFC 6749 server, endpoints from the connection's config: authorization code (PKCE S256 by default),
 * refresh (a rotated refresh token is stored, a missing one keeps the stored one), client credentials.
 * @internal
 */
export class OAuth2Strategy extends BaseProviderStrategy {
  readonly id = 'oauth2';

  validate(input: { config: unknown; secrets: unknown }): ValidatedConnectionInput {
    const problems = new ConnectionProblems();
    const config = problems.part('config', OAuth2ConfigDto, input.config);
    const secrets = problems.part('secrets', OAuth2SecretsDto, input.secrets);
    problems.throwIfAny();
    return {
      config: compact({ ...config }),
      secrets: { clientSecret: secrets.clientSecret },
      grantType: config.grant,
      scopes: config.scopes ?? [],
    };
  }

  usesAuthorizationCode(connection: StrategyConnection): boolean {
    return this.config(connection).grant === 'authorization_code';
  }

  /** Only the API base URLs the connection's config names (`apiBaseUrls`); none means nothing is signed. */
  credentialOrigins(scope: CredentialScope): string[] {
    const urls = (scope.config as { apiBaseUrls?: unknown }).apiBaseUrls;
    return Array.isArray(urls) ? urls.filter((u): u is string => typeof u === 'string') : [];
  }

  /**
   * All of them are the tenant's choice: signed calls there connect through the network policy's checking
   * lookup (`SignedCallNetwork`), as the token requests to `tokenUrl` do.
   */
  tenantCredentialOrigins(scope: CredentialScope): string[] {
    return this.credentialOrigins(scope);
  }

  /** RFC 9207: the issuer the server names in `iss`, when the admin configured it. */
  authorizationIssuer(connection: StrategyConnection): string | undefined {
    return this.config(connection).issuer;
  }

  buildAuthorizationUrl(connection: StrategyConnection, params: AuthorizationUrlParams): string {
    const config = this.config(connection);
    const pkce = config.pkce !== false;
    const url = new URL(config.authorizationUrl ?? '');
    const query = queryString({
      response_type: 'code',
      client_id: config.clientId,
      redirect_uri: params.redirectUri,
      scope: config.scopes && config.scopes.length > 0 ? config.scopes.join(' ') : undefined,
      state: params.state,
      code_challenge: pkce ? params.codeChallenge : undefined,
      code_challenge_method: pkce ? 'S256' : undefined,
    });
    // Keep any query the configured authorization URL already has (e.g. `?audience=...`).
    url.search = url.search ? `${url.search.slice(1)}&${query}` : query;
    return url.toString();
  }

  exchangeCode(
    connection: StrategyConnection,
    params: CodeExchangeParams,
    context: StrategyContext,
  ): Promise<TokenGrant> {
    const pkce = this.config(connection).pkce !== false;
    return this.token(
      connection,
      context,
      'code exchange',
      'optional',
      {
        grant_type: 'authorization_code',
        code: params.code,
        redirect_uri: params.redirectUri,
        code_verifier: pkce ? params.codeVerifier : undefined,
      },
      [params.code, params.codeVerifier],
    );
  }

  refresh(connection: StrategyConnection, context: StrategyContext): Promise<TokenGrant> {
    const config = this.config(connection);
    if (config.grant === 'client_credentials') {
      return this.token(connection, context, 'client credentials', 'none', {
        grant_type: 'client_credentials',
        scope: config.scopes && config.scopes.length > 0 ? config.scopes.join(' ') : undefined,
      });
    }
    if (!connection.refreshToken) throw this.missingRefreshToken(connection);
    return this.token(connection, context, 'refresh', 'optional', {
      grant_type: 'refresh_token',
      refresh_token: connection.refreshToken,
    });
  }

  private async token(
    connection: StrategyConnection,
    context: StrategyContext,
    operation: string,
    refreshToken: 'optional' | 'none',
    form: Record<string, string | undefined>,
    extraSecrets: string[] = [],
  ): Promise<TokenGrant> {
    const config = this.config(connection);
    const secret = connection.secrets.clientSecret ?? '';
    const post = config.clientAuth === 'post';
    const failure = this.failureContext(connection, operation, extraSecrets);
    const body = await this.http.request(
      {
        method: 'POST',
        url: config.tokenUrl,
        tenantUrl: true,
        form: post ? { ...form, client_id: config.clientId, client_secret: secret } : form,
        authorization: post ? undefined : oauthBasicAuth(config.clientId, secret),
      },
      context,
      failure,
    );
    return grantFromTokenResponse(body, { now: context.now(), refreshToken }, failure);
  }

  private config(connection: StrategyConnection): OAuth2Config {
    return connection.config as unknown as OAuth2Config;
  }
}
