import type {
  CredentialScope,
  StrategyConnection,
  StrategyContext,
  TokenGrant,
  ValidatedConnectionInput,
} from '../strategy.interface.js';
import { BaseProviderStrategy, joinUrl } from '../shared/base.strategy.js';
import { ConnectionProblems } from '../shared/connection-validation.js';
import { DocSpringConfigDto, DocSpringSecretsDto } from './docspring.dto.js';

/** API hosts per region (providers.md §4.2: the official client's `sync.` hosts). */
const HOSTS = { us: 'https://sync.api.docspring.com', eu: 'https://sync.api-eu.docspring.com' };
/** The US host of older docs and the seed (providers.md §4.2), still allowed for signed calls. */
const LEGACY_US_HOST = 'https://api.docspring.com';

/**
 * DocSpring has no OAuth: every call carries HTTP Basic with the API token id and secret. The strategy
 * presents that as a grant whose access token is `base64(tokenId:tokenSecret)`, type `Basic`, that never
 * expires, so the rest of the library (cache, interceptor, views) treats DocSpring like any provider.
 * @internal
 */
export class DocSpringStrategy extends BaseProviderStrategy {
  readonly id = 'docspring';

  validate(input: { config: unknown; secrets: unknown }): ValidatedConnectionInput {
    const problems = new ConnectionProblems();
    const config = problems.part('config', DocSpringConfigDto, input.config);
    const secrets = problems.part('secrets', DocSpringSecretsDto, input.secrets);
    problems.throwIfAny();
    return {
      config: { region: config.region, tokenId: config.tokenId },
      secrets: { tokenSecret: secrets.tokenSecret },
      grantType: 'api_token',
      scopes: [],
    };
  }

  usesAuthorizationCode(): boolean {
    return false;
  }

  /** The API origin (without `/api/v1`): the region's override, the all-region override, or the region's host. */
  apiBaseUrl(connection: StrategyConnection): string {
    const region = connection.config.region === 'eu' ? 'eu' : 'us';
    const { hosts } = this.deps;
    return hosts.docspringApiUrls?.[region] ?? hosts.docspringApiUrl ?? HOSTS[region];
  }

  /** The region's API host (or the override), and the legacy US host for US connections. */
  credentialOrigins(scope: CredentialScope): string[] {
    const origins = [this.apiBaseUrl({ ...scope, secrets: {} })];
    if (!this.deps.hosts.docspringApiUrl && scope.config.region !== 'eu') origins.push(LEGACY_US_HOST);
    return origins;
  }

  async refresh(connection: StrategyConnection): Promise<TokenGrant> {
    // Byte-for-byte what the official client (superagent's `.auth(id, secret)`) sends: utf-8, base64,
    // no form-encoding of the parts.
    const credentials = `${String(connection.config.tokenId)}:${connection.secrets.tokenSecret ?? ''}`;
    return {
      accessToken: Buffer.from(credentials, 'utf8').toString('base64'),
      tokenType: 'Basic',
      expiresAt: null,
      refreshToken: null,
      refreshTokenExpiresAt: null,
    };
  }

  /** Checks the token with DocSpring's `GET /api/v1/authentication` (providers.md §4) before it is stored. */
  override async verify(connection: StrategyConnection, context: StrategyContext): Promise<TokenGrant> {
    const grant = await this.refresh(connection);
    await this.checkAccess(connection, grant, context);
    return grant;
  }

  /** DocSpring's own test endpoint: `GET /api/v1/authentication` answers `{"status":"success"}`. */
  async checkAccess(
    connection: StrategyConnection,
    grant: Pick<TokenGrant, 'accessToken' | 'tokenType'>,
    context: StrategyContext,
  ): Promise<string> {
    const url = joinUrl(this.apiBaseUrl(connection), '/api/v1/authentication');
    await this.http.request(
      { method: 'GET', url, authorization: this.authorizationHeader(grant) },
      context,
      this.failureContext(connection, 'authentication check', [grant.accessToken]),
    );
    return `DocSpring accepted API token ${String(connection.config.tokenId)} (GET ${url})`;
  }

  override authorizationHeader(grant: Pick<TokenGrant, 'accessToken' | 'tokenType'>): string {
    return `Basic ${grant.accessToken}`;
  }
}
