import type {
  AuthorizationUrlParams,
  CredentialScope,
  CodeExchangeParams,
  StrategyConnection,
  StrategyContext,
  TokenGrant,
  ValidatedConnectionInput,
} from '../strategy.interface.js';
import { BaseProviderStrategy, joinUrl } from '../shared/base.strategy.js';
import { compact, ConnectionProblems } from '../shared/connection-validation.js';
import { queryString } from '../shared/pkce.js';
import { oauthBasicAuth } from '../shared/provider-http.client.js';
import { grantFromTokenResponse } from '../shared/token-response.js';
import { FormstackSignConfigDto, FormstackSignSecretsDto } from './formstack-sign.dto.js';

const AUTH_HOST = 'https://sign-auth.insuresign.io';
/** For API credentials issued before 15 January 2021 (providers.md §2.1). */
const LEGACY_AUTH_HOST = 'https://auth.insuresign.io';
/** The REST API host (providers.md §2.1: seen in third-party code only; extend with `http.allowedHosts`). */
const API_HOST = 'https://api-v2.insuresign.io';

interface FormstackConfig {
  clientId: string;
  grant: 'authorization_code' | 'client_credentials';
  legacyHost?: boolean;
}

/**
 * Formstack Sign (formerly InsureSign): authorization code and client credentials, with Basic auth AND
 * `client_id` repeated in every token request body. Refresh returns no new refresh token: the stored one
 * is kept. No PKCE or scope is sent: neither is documented for `/oauth2/authorize`.
 * @internal
 */
export class FormstackSignStrategy extends BaseProviderStrategy {
  readonly id = 'formstack-sign';
  /** Formstack does not document echoing `state` (providers.md §2.2): the browser's binding cookie stands in. */
  readonly callbackMayOmitState = true;

  validate(input: { config: unknown; secrets: unknown }): ValidatedConnectionInput {
    const problems = new ConnectionProblems();
    const config = problems.part('config', FormstackSignConfigDto, input.config);
    const secrets = problems.part('secrets', FormstackSignSecretsDto, input.secrets);
    problems.throwIfAny();
    return {
      config: compact({ ...config }),
      secrets: { clientSecret: secrets.clientSecret },
      grantType: config.grant,
      scopes: [],
    };
  }

  usesAuthorizationCode(connection: StrategyConnection): boolean {
    return this.config(connection).grant === 'authorization_code';
  }

  /**
   * The auth host. With `legacyHost`, `hosts.formstackLegacyAuthUrl` wins, then `hosts.formstackAuthUrl`
   * (one override replaces both hosts, e.g. an emulator), then the legacy production host.
   */
  authBaseUrl(connection: StrategyConnection): string {
    const { hosts } = this.deps;
    if (this.config(connection).legacyHost) {
      return hosts.formstackLegacyAuthUrl ?? hosts.formstackAuthUrl ?? LEGACY_AUTH_HOST;
    }
    return hosts.formstackAuthUrl ?? AUTH_HOST;
  }

  /** The REST API host and the connection's auth host (or its override). */
  credentialOrigins(scope: CredentialScope): string[] {
    return [API_HOST, this.authBaseUrl({ ...scope, secrets: {} })];
  }

  buildAuthorizationUrl(connection: StrategyConnection, params: AuthorizationUrlParams): string {
    // `state` is sent although Formstack does not document echoing it (providers.md §2.2).
    return `${joinUrl(this.authBaseUrl(connection), '/oauth2/authorize')}?${queryString({
      response_type: 'code',
      client_id: this.config(connection).clientId,
      redirect_uri: params.redirectUri,
      state: params.state,
    })}`;
  }

  exchangeCode(
    connection: StrategyConnection,
    params: CodeExchangeParams,
    context: StrategyContext,
  ): Promise<TokenGrant> {
    return this.token(
      connection,
      context,
      'code exchange',
      'optional',
      {
        grant_type: 'authorization_code',
        redirect_uri: params.redirectUri,
        code: params.code,
      },
      [params.code],
    );
  }

  refresh(connection: StrategyConnection, context: StrategyContext): Promise<TokenGrant> {
    if (this.config(connection).grant === 'client_credentials') {
      return this.token(connection, context, 'client credentials', 'none', {
        grant_type: 'client_credentials',
      });
    }
    if (!connection.refreshToken) throw this.missingRefreshToken(connection);
    // No refresh token comes back: `refreshToken: undefined` tells the store to keep the one it has.
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
    form: Record<string, string>,
    extraSecrets: string[] = [],
  ): Promise<TokenGrant> {
    const { clientId } = this.config(connection);
    const failure = this.failureContext(connection, operation, extraSecrets);
    const body = await this.http.request(
      {
        method: 'POST',
        url: joinUrl(this.authBaseUrl(connection), '/oauth2/token'),
        form: { grant_type: form.grant_type, client_id: clientId, ...form },
        authorization: oauthBasicAuth(clientId, connection.secrets.clientSecret ?? ''),
      },
      context,
      failure,
    );
    // The refresh-token lifetime is undocumented: unknown (null) rather than a guess.
    return grantFromTokenResponse(body, { now: context.now(), refreshToken }, failure);
  }

  private config(connection: StrategyConnection): FormstackConfig {
    return connection.config as unknown as FormstackConfig;
  }
}
