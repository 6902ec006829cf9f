import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { getAdapter, type AxiosAdapter, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionsService } from '../connections/connections.service.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import type { NetworkPolicy } from '../network/network-policy.js';
import {
  allowedOrigins,
  checkCredentialTarget,
  credentialTargetRefusal,
  type CredentialTargetRules,
} from './credential-targets.js';
import { docuSignAccountBase } from './docusign-account-base.js';
import { SigningAuthHostError, SigningAuthRequestError } from './http.errors.js';
import { HTTP_TOKEN_SOURCE, type HttpTokenSource } from './http-token-source.js';
import { signedAdapter, type SignedAdapterDeps, type SignedRequest } from './signed-request.adapter.js';
import type { SigningAuthRequestOptions } from './signing-auth-request.js';
import { SigningAuthHttpService } from './signing-auth-http.service.js';
import { SIGNED_CALL_NETWORK_POLICY, SignedCallNetwork, tenantOrigins } from './signed-call-network.js';
import { RateLimitBudgets } from '../rate-limits/rate-limit-budgets.js';

/** axios skips the interceptor, and keeps its synchronous fast path, for requests that do not opt in. */
const wantsSigningAuth = (config: InternalAxiosRequestConfig): boolean => config.signingAuth != null;

/**
 * Attaches, once at module init, the request interceptor that signs opted-in requests of
 * {@link SigningAuthHttpService}: it wraps their transport so that, before anything is sent, the tenant is
 * resolved, the connection's token taken (or the typed "cannot authorize" error thrown) and the header the
 * provider's strategy prescribes set; {@link signedAdapter} then handles 401 and 403.
 * @internal
 */
@Injectable()
export class SigningAuthHttpInterceptor implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningAuthHttpInterceptor.name);
  private readonly adapterDeps: SignedAdapterDeps;
  private readonly network: SignedCallNetwork;
  private attachedTo: AxiosInstance | undefined;
  private defaultAdapter: { configured: unknown; resolved: AxiosAdapter } | undefined;

  constructor(
    private readonly http: SigningAuthHttpService,
    @Inject(HTTP_TOKEN_SOURCE) private readonly tokens: HttpTokenSource,
    private readonly strategies: StrategyRegistry,
    private readonly connections: ConnectionsService,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Inject(SIGNED_CALL_NETWORK_POLICY) policy: NetworkPolicy,
    private readonly budgets: RateLimitBudgets,
  ) {
    this.network = new SignedCallNetwork(policy);
    this.adapterDeps = {
      tokens: this.tokens,
      grantedScopes: (tenantId, provider) => this.grantedScopes(tenantId, provider),
      budgets: this.budgets,
      clock: this.options.clock,
      logger: this.logger,
    };
  }

  onModuleInit(): void {
    const instance = this.http.axiosRef;
    if (this.attachedTo === instance) return;
    // Bounds for every request of this client (a request's own `timeout` / `maxContentLength` win): a
    // tenant's API server (generic oauth2) must not hang the host or fill its memory.
    instance.defaults.timeout = this.options.http.timeoutMs;
    instance.defaults.maxContentLength = this.options.http.maxResponseBytes;
    // Synchronous on purpose: it only swaps in the signing transport, so axios keeps its synchronous
    // request path. Token lookup and signing happen in that transport, still before anything is sent.
    instance.interceptors.request.use((config) => this.install(config), undefined, {
      synchronous: true,
      runWhen: wantsSigningAuth,
    });
    this.attachedTo = instance;
  }

  onModuleDestroy(): void {
    this.network.close();
  }

  private install(config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
    const inner = this.transport(config);
    config.adapter = async (prepared) =>
      signedAdapter(inner, await this.sign(prepared), this.adapterDeps)(prepared);
    return config;
  }

  /** Resolves the tenant, takes the token (or throws the typed "cannot authorize" error) and sets the header. */
  private async sign(config: InternalAxiosRequestConfig): Promise<SignedRequest> {
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
    if (request.docusignAccountBase) config.baseURL = docuSignAccountBase(tenantId, provider, token.metadata);
    // Host binding: the credentials go only where the connection's strategy (and http.allowedHosts) says,
    // checked on the final URL before the header is even set.
    const scope = { tenantId, provider, config: token.config ?? {}, metadata: token.metadata };
    const operatorAllowed = this.options.http.allowedHosts[provider];
    const rules: CredentialTargetRules = {
      tenantId,
      provider,
      origins: allowedOrigins(strategy, scope, operatorAllowed),
      allowLoopbackHttp: this.options.http.allowLoopbackHttp,
    };
    const target = checkCredentialTarget(finalUrl(config), rules);
    if (target.refusal) {
      this.logger.warn(target.refusal.message);
      throw target.refusal;
    }
    // A tenant-chosen origin (oauth2 apiBaseUrls) connects only through the checking lookup.
    const checked = tenantOrigins(strategy, scope, operatorAllowed)?.has(target.url.origin) === true;
    if (checked) {
      const forbidden = this.network.route(config, target.url);
      if (forbidden) {
        const error = new SigningAuthHostError(tenantId, provider, target.url.host, forbidden.reason);
        this.logger.warn(error.message);
        throw error;
      }
    }
    // Last, so a call refused for its host never spends a unit of the budget.
    const account = typeof token.metadata?.accountId === 'string' ? token.metadata.accountId : '';
    const admitted = this.budgets.admit(tenantId, provider, account);
    if (admitted) await admitted;
    const authorization = strategy.authorizationHeader(token);
    config.headers.set('Authorization', authorization);
    bindRedirects(config, rules, checked ? this.network : undefined);
    return { tenantId, provider, strategy, token, authorization, host: target.url.host, account };
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

  /**
   * The adapter the request would have used. axios hands each request a copy of the instance's adapter
   * list, so the resolved default is remembered with the list it came from.
   */
  private transport(config: InternalAxiosRequestConfig): AxiosAdapter {
    const configured = config.adapter;
    const cached = this.defaultAdapter;
    if (cached && sameAdapters(cached.configured, configured)) return cached.resolved;
    const resolved = getAdapter(configured, config);
    this.defaultAdapter = { configured: Array.isArray(configured) ? [...configured] : configured, resolved };
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

/**
 * The URL axios will request, as its `buildFullPath` makes it: `baseURL` joined with a relative `url`; an
 * absolute (or protocol-relative) `url` as is unless `allowAbsoluteUrls` is false. The query string does
 * not change the origin, so it is left out.
 */
function finalUrl(config: InternalAxiosRequestConfig): string {
  const url = String(config.url ?? '');
  const absolute = /^([a-z][a-z\d+\-.]*:)?\/\//i.test(url);
  if (!config.baseURL || (absolute && config.allowAbsoluteUrls !== false)) return url;
  return url ? `${config.baseURL.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}` : config.baseURL;
}

/**
 * A redirect is followed without the `Authorization` header unless its target passes the same rules as
 * the request itself (follow-redirects drops it only for another host name, and keeps it for subdomains
 * and other ports). The caller's own `beforeRedirect` still runs, after.
 */
function bindRedirects(
  config: InternalAxiosRequestConfig,
  rules: CredentialTargetRules,
  network: SignedCallNetwork | undefined,
): void {
  const own = config.beforeRedirect;
  config.beforeRedirect = (options, responseDetails, requestDetails) => {
    const target = typeof options.href === 'string' ? options.href : '';
    // From a tenant's origin, a redirect to a refused IP literal is not followed at all (names go through
    // the checked pool's lookup). Thrown here, follow-redirects fails the request with it as the cause.
    const forbidden = network?.redirectRefusal(target);
    if (forbidden) throw forbidden;
    const headers = options.headers as Record<string, unknown> | undefined;
    if (headers && credentialTargetRefusal(target, rules)) {
      for (const name of Object.keys(headers))
        if (name.toLowerCase() === 'authorization') delete headers[name];
    }
    own?.(options, responseDetails, requestDetails);
  };
}

function sameAdapters(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
