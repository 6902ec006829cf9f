import { Logger } from '@nestjs/common';
import { ProviderFailure } from '../provider.errors.js';
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
import { grantFromTokenResponse } from '../shared/token-response.js';
import { DocuSignConfigDto, DocuSignSecretsDto } from './docusign.dto.js';
import { signDocuSignAssertion } from './docusign-jwt.js';
import { pickDocuSignAccount } from './docusign-userinfo.js';

const HOSTS = { demo: 'https://account-d.docusign.com', production: 'https://account.docusign.com' };
const JWT_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** `extended` renews the refresh token's lifetime on every refresh (providers.md §1.2). */
const DEFAULT_CODE_SCOPES = ['signature', 'extended'];
const DEFAULT_JWT_SCOPES = ['signature', 'impersonation'];

interface DocuSignConfig {
  environment: 'demo' | 'production';
  integrationKey: string;
  grant: 'authorization_code' | 'jwt';
  scopes?: string[];
  accountId?: string;
  userId?: string;
  loginHint?: string;
  consent?: 'individual' | 'admin';
  acceptFixedRefreshTokenLifetime?: boolean;
}

/**
 * DocuSign: authorization-code grant (PKCE S256 + state, Basic auth, rotating refresh tokens) and JWT grant
 * (RS256 assertion, no refresh token). After connecting, userinfo gives the account and its `base_uri`.
 * @internal
 */
export class DocuSignStrategy extends BaseProviderStrategy {
  readonly id = 'docusign';
  private readonly logger = new Logger(DocuSignStrategy.name);

  validate(input: { config: unknown; secrets: unknown }): ValidatedConnectionInput {
    const problems = new ConnectionProblems();
    const config = problems.part('config', DocuSignConfigDto, input.config);
    const secrets = problems.part('secrets', DocuSignSecretsDto, input.secrets);
    // Which secret is required follows from the grant (the schema says so; ConnectionProblems checks it).
    // Without a valid grant, say both, so one answer lists everything still to fill in.
    const grantKnown = problems.ok('config.grant');
    if (!grantKnown && problems.ok('secrets') && !secrets.secretKey && !secrets.privateKey) {
      problems.add(
        'secrets',
        'must hold secretKey (authorization_code grant) or privateKey (jwt grant), depending on config.grant',
      );
    }
    const jwt = config.grant === 'jwt';
    const unused = jwt ? 'secretKey' : 'privateKey';
    if (grantKnown && secrets[unused])
      problems.add(`secrets.${unused}`, `is not used by the ${config.grant} grant`);
    for (const field of ['loginHint', 'consent'] as const) {
      if (grantKnown && !jwt && config[field] !== undefined)
        problems.add(`config.${field}`, 'is only used by the jwt grant');
    }
    if (grantKnown && jwt && config.acceptFixedRefreshTokenLifetime !== undefined) {
      problems.add('config.acceptFixedRefreshTokenLifetime', 'is only used by the authorization_code grant');
    }
    if (
      grantKnown &&
      !jwt &&
      problems.ok('config.scopes') &&
      !this.scopesOf(config).includes('extended') &&
      config.acceptFixedRefreshTokenLifetime !== true
    ) {
      problems.add(
        'config.scopes',
        'lacks "extended": without it DocuSign keeps the first refresh token\'s expiry (about 30 days after ' +
          'consent) through every refresh, so a user must consent again by then. Add "extended", or set ' +
          'config.acceptFixedRefreshTokenLifetime: true to accept that',
      );
    }
    if (
      grantKnown &&
      jwt &&
      problems.ok('config.scopes') &&
      !this.scopesOf(config).includes('impersonation')
    ) {
      problems.add('config.scopes', 'must include "impersonation" for the jwt grant');
    }
    problems.throwIfAny();
    const scopes = this.scopesOf(config);
    return {
      config: compact({ ...config }),
      secrets: compact({ ...secrets }) as Record<string, string>,
      grantType: config.grant,
      scopes,
    };
  }

  usesAuthorizationCode(connection: StrategyConnection): boolean {
    return this.config(connection).grant === 'authorization_code';
  }

  /** JWT connections may go through the connect flow to record the user's `impersonation` consent. */
  supportsConsentFlow(connection: StrategyConnection): boolean {
    return this.config(connection).grant === 'jwt';
  }

  /** Where requests to the account server go: the environment's override, the all-environment one, or DocuSign's host. */
  oauthBaseUrl(connection: StrategyConnection): string {
    const environment = this.environmentOf(connection);
    const { hosts } = this.deps;
    return hosts.docusignOAuthUrls?.[environment] ?? hosts.docusignOAuthUrl ?? HOSTS[environment];
  }

  /** The account's own base URI (recorded from userinfo) and the account server (for userinfo). */
  credentialOrigins(scope: CredentialScope): string[] {
    const origins = [this.oauthBaseUrl({ ...scope, secrets: {} })];
    if (typeof scope.metadata.baseUri === 'string') origins.push(scope.metadata.baseUri);
    return origins;
  }

  /**
   * The JWT `aud`: the environment's real account host whatever carries the request (a proxy or an
   * emulator must not change what DocuSign checks). Only a private deployment sets `docusignJwtAudience`.
   */
  jwtAudience(connection: StrategyConnection): string {
    const environment = this.environmentOf(connection);
    return this.deps.hosts.docusignJwtAudience?.[environment] ?? new URL(HOSTS[environment]).host;
  }

  private environmentOf(connection: StrategyConnection): 'demo' | 'production' {
    return this.config(connection).environment === 'production' ? 'production' : 'demo';
  }

  /**
   * The authorization-code flow's URL, or for a JWT connection the consent URL (the callback then mints
   * the first token with the JWT grant). Both carry the state and PKCE challenge the library keeps.
   * JWT consent is individual (`signature impersonation`, `login_hint` = `config.loginHint` when set) or,
   * with `config.consent: 'admin'`, an organization admin's consent for every user of the organization's
   * reserved domains: `scope=openid` plus `admin_consent_scope` (DocuSign's "admin consent for external
   * applications").
   */
  buildAuthorizationUrl(connection: StrategyConnection, params: AuthorizationUrlParams): string {
    const config = this.config(connection);
    const scopes = this.scopesOf(config).join(' ');
    const admin = config.grant === 'jwt' && config.consent === 'admin';
    return `${joinUrl(this.oauthBaseUrl(connection), '/oauth/auth')}?${queryString({
      response_type: 'code',
      scope: admin ? 'openid' : scopes,
      admin_consent_scope: admin ? scopes : undefined,
      client_id: config.integrationKey,
      redirect_uri: params.redirectUri,
      state: params.state,
      code_challenge: params.codeChallenge,
      code_challenge_method: 'S256',
      login_hint: config.grant === 'jwt' && !admin ? config.loginHint : undefined,
    })}`;
  }

  async exchangeCode(
    connection: StrategyConnection,
    params: CodeExchangeParams,
    context: StrategyContext,
  ): Promise<TokenGrant> {
    // JWT consent flow: the code only proves the user approved; the token comes from the JWT grant.
    if (this.config(connection).grant === 'jwt') return this.jwtGrant(connection, context);
    // DocuSign's documented exchange has no redirect_uri (providers.md §1.3).
    return this.tokenRequest(
      connection,
      context,
      'code exchange',
      {
        grant_type: 'authorization_code',
        code: params.code,
        code_verifier: params.codeVerifier,
      },
      [params.code, params.codeVerifier],
    );
  }

  async refresh(connection: StrategyConnection, context: StrategyContext): Promise<TokenGrant> {
    if (this.config(connection).grant === 'jwt') return this.jwtGrant(connection, context);
    if (!connection.refreshToken) throw this.missingRefreshToken(connection);
    return this.tokenRequest(connection, context, 'refresh', {
      grant_type: 'refresh_token',
      refresh_token: connection.refreshToken,
    });
  }

  async afterConnect(
    connection: StrategyConnection,
    grant: Pick<TokenGrant, 'accessToken' | 'tokenType'>,
    context: StrategyContext,
  ): Promise<Record<string, unknown>> {
    // A 401 here is about the access token just obtained, not about the client credentials.
    const failure = { ...this.failureContext(connection, 'userinfo', [grant.accessToken]), bearer: true };
    const userinfo = await this.http.request(
      {
        method: 'GET',
        url: this.userinfoUrl(connection),
        authorization: this.authorizationHeader(grant),
      },
      context,
      failure,
    );
    const where = `docusign userinfo for tenant "${connection.tenantId}"`;
    return { ...pickDocuSignAccount(userinfo, this.config(connection).accountId, where) };
  }

  /**
   * The test call: userinfo with the current access token (DocuSign limits it per user and key per hour,
   * so this is for a person pressing "Test connection", not for polling).
   */
  async checkAccess(
    connection: StrategyConnection,
    grant: Pick<TokenGrant, 'accessToken' | 'tokenType'>,
    context: StrategyContext,
  ): Promise<string> {
    const account = (await this.afterConnect(connection, grant, context)) as Record<string, string>;
    const name = account.accountName ? ` (${account.accountName})` : '';
    return (
      `DocuSign accepted the access token: GET ${this.userinfoUrl(connection)} answered for user ` +
      `${account.userId}, account ${account.accountId}${name} on ${account.baseUri}`
    );
  }

  private userinfoUrl(connection: StrategyConnection): string {
    return joinUrl(this.oauthBaseUrl(connection), '/oauth/userinfo');
  }

  private async tokenRequest(
    connection: StrategyConnection,
    context: StrategyContext,
    operation: string,
    form: Record<string, string | undefined>,
    extraSecrets: string[] = [],
  ): Promise<TokenGrant> {
    const config = this.config(connection);
    const failure = this.failureContext(connection, operation, extraSecrets);
    const body = await this.http.request(
      {
        method: 'POST',
        url: joinUrl(this.oauthBaseUrl(connection), '/oauth/token'),
        form,
        // Raw `base64(integrationKey:secretKey)`, as DocuSign documents and its SDKs send it: no RFC 6749
        // form-encoding, which would change a secret containing `+`, `/`, `=` or `%`.
        authorization: `Basic ${Buffer.from(`${config.integrationKey}:${connection.secrets.secretKey ?? ''}`, 'utf8').toString('base64')}`,
      },
      context,
      failure,
    );
    const now = context.now();
    // Every code exchange and refresh returns a new refresh token: the old one must never be sent again.
    const grant = grantFromTokenResponse(
      body,
      { now, refreshToken: 'required', refreshTokenLifetimeMs: this.deps.docusignRefreshTokenLifetimeMs },
      failure,
    );
    // Without `extended`, a refreshed token keeps the first token's absolute expiry (providers.md §1.4):
    // leave the stored expiry as it is.
    if (operation === 'refresh' && !this.scopesOf(config).includes('extended')) {
      grant.refreshTokenExpiresAt = undefined;
    }
    return grant;
  }

  private async jwtGrant(connection: StrategyConnection, context: StrategyContext): Promise<TokenGrant> {
    const config = this.config(connection);
    const failure = this.failureContext(connection, 'jwt grant');
    let assertion: string;
    try {
      assertion = await signDocuSignAssertion({
        integrationKey: config.integrationKey,
        userId: config.userId ?? '',
        audience: this.jwtAudience(connection),
        scopes: this.scopesOf(config),
        privateKeyPem: connection.secrets.privateKey ?? '',
        now: context.now(),
        lifetimeSeconds: this.deps.docusignJwtLifetimeSeconds,
      });
    } catch {
      throw new ProviderFailure(
        'needs_reauth',
        `docusign jwt grant for tenant "${connection.tenantId}": the private key cannot sign an RS256 assertion`,
        { code: 'invalid_private_key', credentialsRefused: true },
      );
    }
    failure.secrets = [...(failure.secrets ?? []), assertion];
    try {
      const body = await this.http.request(
        {
          method: 'POST',
          url: joinUrl(this.oauthBaseUrl(connection), '/oauth/token'),
          form: { grant_type: JWT_GRANT_TYPE, assertion },
        },
        context,
        failure,
      );
      return grantFromTokenResponse(body, { now: context.now(), refreshToken: 'none' }, failure);
    } catch (error) {
      if (error instanceof ProviderFailure && error.details.code === 'consent_required') {
        // No URL here: the library issues a consent link with a state (see AuthorizationLinkService), so
        // DocuSign's redirect completes at the callback instead of ending on an error page.
        this.logger.warn(`DocuSign consent is missing for tenant "${connection.tenantId}"`);
        throw new ProviderFailure(
          'needs_reauth',
          `docusign jwt grant for tenant "${connection.tenantId}": consent required; open the consentUrl to grant it`,
          error.details,
        );
      }
      throw error;
    }
  }

  private config(connection: StrategyConnection): DocuSignConfig {
    return connection.config as unknown as DocuSignConfig;
  }

  private scopesOf(config: Pick<DocuSignConfig, 'grant' | 'scopes'>): string[] {
    if (config.scopes && config.scopes.length > 0) return config.scopes;
    return config.grant === 'jwt' ? DEFAULT_JWT_SCOPES : DEFAULT_CODE_SCOPES;
  }
}
