import { Logger } from '@nestjs/common';
import type {
  CredentialScope,
  StrategyConnection,
  StrategyContext,
  TokenGrant,
  ValidatedConnectionInput,
} from '../strategy.interface.js';
import { BaseProviderStrategy, joinUrl } from '../shared/base.strategy.js';
import { compact, ConnectionProblems } from '../shared/connection-validation.js';
import { oauthBasicAuth } from '../shared/provider-http.client.js';
import { grantFromTokenResponse } from '../shared/token-response.js';
import { SignicatConfigDto, SignicatSecretsDto } from './signicat.dto.js';

type Generation = 'express' | 'platform' | 'idfy';

/** Token endpoints per generation (providers.md §3.1). */
const ENDPOINTS: Record<Generation, { host: string; path: string }> = {
  express: { host: 'https://api.signicat.io', path: '/oauth/connect/token' },
  platform: { host: 'https://api.signicat.com', path: '/auth/open/connect/token' },
  idfy: { host: 'https://api.idfy.io', path: '/oauth/connect/token' },
};
const PLATFORM_SCOPE = 'signicat-api';

interface SignicatConfig {
  clientId: string;
  generation: Generation;
  scopes?: string[];
  clientAuth?: 'basic' | 'post';
}

/**
 * Signicat client credentials for its three generations: Express (`api.signicat.io`), the new platform
 * (`api.signicat.com/auth/open`, scope `signicat-api`, 600 s tokens by default) and the deprecated Idfy
 * host. Client authentication by Basic header (documented) or form body (what Signicat's SDKs send).
 * @internal
 */
export class SignicatStrategy extends BaseProviderStrategy {
  readonly id = 'signicat';
  private readonly logger = new Logger(SignicatStrategy.name);
  /** Connections already warned about Idfy's deprecation (once each per process). */
  private readonly warnedIdfy = new Set<string>();

  validate(input: { config: unknown; secrets: unknown }): ValidatedConnectionInput {
    const problems = new ConnectionProblems();
    const config = problems.part('config', SignicatConfigDto, input.config);
    const secrets = problems.part('secrets', SignicatSecretsDto, input.secrets);
    const needsScopes = problems.ok('config.generation') && config.generation !== 'platform';
    if (needsScopes && problems.ok('config.scopes') && (config.scopes ?? []).length === 0) {
      problems.add('config.scopes', `must list at least one scope for the ${config.generation} generation`);
    }
    const platform = problems.ok('config.generation') && config.generation === 'platform';
    if (platform && problems.ok('config.scopes') && (config.scopes ?? []).some((s) => s !== PLATFORM_SCOPE)) {
      // providers.md §3.1: Signicat's token service would refuse it with invalid_scope (a 422 at save time).
      problems.add(
        'config.scopes',
        `the platform generation's scope is always "${PLATFORM_SCOPE}" (leave scopes out, or list only it); ` +
          'what the client may do is set by its permissions in the Signicat Dashboard',
      );
    }
    problems.throwIfAny();
    return {
      config: compact({ ...config }),
      secrets: { clientSecret: secrets.clientSecret },
      grantType: 'client_credentials',
      scopes: this.scopesOf(config),
    };
  }

  usesAuthorizationCode(): boolean {
    return false;
  }

  /**
   * The token endpoint. `hosts.signicatUrls[generation]` wins; then `hosts.signicatIdfyUrl` (Idfy only);
   * then `hosts.signicatUrl`, which replaces all three hosts.
   */
  tokenUrl(connection: StrategyConnection): string {
    const { generation } = this.config(connection);
    const endpoint = ENDPOINTS[generation] ?? ENDPOINTS.express;
    const { hosts } = this.deps;
    const host =
      hosts.signicatUrls?.[generation] ??
      (generation === 'idfy' ? hosts.signicatIdfyUrl : undefined) ??
      hosts.signicatUrl ??
      endpoint.host;
    return joinUrl(host, endpoint.path);
  }

  /** The generation's API host (the token host: Express and Idfy share it, the platform too), or its override. */
  credentialOrigins(scope: CredentialScope): string[] {
    return [this.tokenUrl({ ...scope, secrets: {} })];
  }

  async refresh(connection: StrategyConnection, context: StrategyContext): Promise<TokenGrant> {
    const config = this.config(connection);
    if (config.generation === 'idfy') this.warnIdfy(connection);
    const secret = connection.secrets.clientSecret ?? '';
    const post = config.clientAuth === 'post';
    const failure = this.failureContext(connection, 'client credentials');
    const body = await this.http.request(
      {
        method: 'POST',
        url: this.tokenUrl(connection),
        form: {
          grant_type: 'client_credentials',
          scope: this.scopesOf(config).join(' '),
          client_id: post ? config.clientId : undefined,
          client_secret: post ? secret : undefined,
        },
        authorization: post ? undefined : oauthBasicAuth(config.clientId, secret),
      },
      context,
      failure,
    );
    return grantFromTokenResponse(body, { now: context.now(), refreshToken: 'none' }, failure);
  }

  private warnIdfy(connection: StrategyConnection): void {
    const key = `${connection.tenantId}\u0000${connection.provider}`;
    if (this.warnedIdfy.has(key)) return;
    this.warnedIdfy.add(key);
    this.logger.warn(
      `Signicat connection of tenant "${connection.tenantId}" uses the deprecated Idfy token endpoint ` +
        '(api.idfy.io); Signicat says not to use it. Move the API client to generation "express" or "platform".',
    );
  }

  private config(connection: StrategyConnection): SignicatConfig {
    return connection.config as unknown as SignicatConfig;
  }

  /** The platform always asks for `signicat-api`, whatever an older stored row lists (providers.md §3.1). */
  private scopesOf(config: Pick<SignicatConfig, 'generation' | 'scopes'>): string[] {
    if (config.generation === 'platform') return [PLATFORM_SCOPE];
    return config.scopes ?? [];
  }
}
