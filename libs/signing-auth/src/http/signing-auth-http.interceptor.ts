import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { getAdapter, type AxiosAdapter, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionsService } from '../connections/connections.service.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import { docuSignAccountBase } from './docusign-account-base.js';
import { SigningAuthRequestError } from './http.errors.js';
import { HTTP_TOKEN_SOURCE, type HttpTokenSource } from './http-token-source.js';
import { signedAdapter, type SignedAdapterDeps } from './signed-request.adapter.js';
import type { SigningAuthRequestOptions } from './signing-auth-request.js';
import { SigningAuthHttpService } from './signing-auth-http.service.js';

/** axios skips the interceptor, and keeps its synchronous fast path, for requests that do not opt in. */
const wantsSigningAuth = (config: InternalAxiosRequestConfig): boolean => config.signingAuth != null;

/**
 * Attaches, once at module init, the request interceptor that signs opted-in requests of
 * {@link SigningAuthHttpService}: resolves the tenant, takes the connection's token (failing before the
 * request leaves the process when there is none to take), sets the header the provider's strategy
 * prescribes, and hands the transport to {@link signedAdapter} for the 401/403 handling.
 * @internal
 */
@Injectable()
export class SigningAuthHttpInterceptor implements OnModuleInit {
  private readonly logger = new Logger(SigningAuthHttpInterceptor.name);
  private readonly adapterDeps: SignedAdapterDeps;
  private attachedTo: AxiosInstance | undefined;
  private defaultAdapter: { configured: unknown; resolved: AxiosAdapter } | undefined;

  constructor(
    private readonly http: SigningAuthHttpService,
    @Inject(HTTP_TOKEN_SOURCE) private readonly tokens: HttpTokenSource,
    private readonly strategies: StrategyRegistry,
    private readonly connections: ConnectionsService,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {
    this.adapterDeps = {
      tokens: this.tokens,
      grantedScopes: (tenantId, provider) => this.grantedScopes(tenantId, provider),
      logger: this.logger,
    };
  }

  onModuleInit(): void {
    const instance = this.http.axiosRef;
    if (this.attachedTo === instance) return;
    instance.interceptors.request.use((config) => this.sign(config), undefined, {
      synchronous: false,
      runWhen: wantsSigningAuth,
    });
    this.attachedTo = instance;
  }

  private async sign(config: InternalAxiosRequestConfig): Promise<InternalAxiosRequestConfig> {
    const request = config.signingAuth as SigningAuthRequestOptions;
    const provider = request?.provider;
    if (typeof provider !== 'string' || provider === '') {
      throw new SigningAuthRequestError(
        request?.tenantId,
        String(provider ?? ''),
        'signingAuth.provider is required',
      );
    }
    const tenantId = request.tenantId ?? (await this.resolveTenant(provider));
    const strategy = this.strategies.get(provider);
    const token = await this.tokens.getAccessToken(tenantId, provider);
    config.headers.set('Authorization', strategy.authorizationHeader(token));
    if (request.docusignAccountBase) config.baseURL = docuSignAccountBase(tenantId, provider, token.metadata);
    config.adapter = signedAdapter(
      this.transport(config),
      { tenantId, provider, strategy, token },
      this.adapterDeps,
    );
    return config;
  }

  private async resolveTenant(provider: string): Promise<string> {
    const resolver = this.options.http.tenantResolver;
    if (!resolver) {
      throw new SigningAuthRequestError(
        undefined,
        provider,
        'signingAuth.tenantId is missing and no http.tenantResolver is configured',
      );
    }
    let tenantId: string | undefined;
    try {
      tenantId = await resolver();
    } catch (error) {
      throw new SigningAuthRequestError(undefined, provider, 'http.tenantResolver threw', { cause: error });
    }
    if (typeof tenantId !== 'string' || tenantId === '') {
      throw new SigningAuthRequestError(
        undefined,
        provider,
        'signingAuth.tenantId is missing and http.tenantResolver returned no tenant (called outside a tenant context?)',
      );
    }
    return tenantId;
  }

  /** The adapter the request would have used; resolving axios' default list once is enough. */
  private transport(config: InternalAxiosRequestConfig): AxiosAdapter {
    const configured = config.adapter;
    const cached = this.defaultAdapter;
    if (cached && cached.configured === configured) return cached.resolved;
    const resolved = getAdapter(configured, config);
    if (configured === this.http.axiosRef.defaults.adapter) this.defaultAdapter = { configured, resolved };
    return resolved;
  }

  private async grantedScopes(tenantId: string, provider: string): Promise<string[]> {
    try {
      return (await this.connections.find(tenantId, provider))?.scopes ?? [];
    } catch {
      return [];
    }
  }
}
