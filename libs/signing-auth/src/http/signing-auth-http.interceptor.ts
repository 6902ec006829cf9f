import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  getAdapter,
  type AxiosAdapter,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionsService } from '../connections/connections.service.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import type { NetworkPolicy } from '../network/network-policy.js';
import { checkCredentialTarget } from './credential-targets.js';
import { docuSignAccountBase } from './docusign-account-base.js';
import { SigningAuthHostError, SigningAuthRequestError } from './http.errors.js';
import { HTTP_TOKEN_SOURCE, type HttpAccessToken, type HttpTokenSource } from './http-token-source.js';
import { sendSigned, type SignedAdapterDeps, type SignedRequest } from './signed-request.adapter.js';
import { SigningPlan, type SigningTarget } from './signing-plan.js';
import type { SigningAuthStrategy } from '../providers/strategy.interface.js';
import type { SigningAuthRequestOptions } from './signing-auth-request.js';
import { SigningAuthHttpService } from './signing-auth-http.service.js';
import { SIGNED_CALL_NETWORK_POLICY, SignedCallNetwork } from './signed-call-network.js';
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
  /** Per token object (the cache hands out one per token and connection): see {@link SigningPlan}. */
  private readonly plans = new WeakMap<HttpAccessToken, SigningPlan>();
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
    config.adapter = (prepared) => this.send(inner, prepared);
    return config;
  }

  /**
   * Signs and sends. The usual call (tenant named, token cached, budget not spent) signs synchronously:
   * no promise besides the transport's own until the answer.
   */
  private send(inner: AxiosAdapter, config: InternalAxiosRequestConfig): Promise<AxiosResponse> {
    let signed: SignedRequest | Promise<SignedRequest>;
    try {
      signed = this.signCached(config) ?? this.sign(config);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(signed instanceof Promise)) return sendSigned(inner, config, signed, this.adapterDeps);
    return signed.then((slow) => sendSigned(inner, config, slow, this.adapterDeps));
  }

  /**
   * {@link sign} without waiting for anything that is at hand: `undefined` when the tenant must be resolved
   * or the token loaded (then {@link sign} does it all), a promise only when the rate-limit budget waits.
   */
  private signCached(config: InternalAxiosRequestConfig): SignedRequest | Promise<SignedRequest> | undefined {
    const { tenantId, provider } = requestedConnection(config);
    if (tenantId === undefined || !this.tokens.cachedToken) return undefined;
    const strategy = this.strategies.get(provider);
    const token = this.tokens.cachedToken(tenantId, provider);
    if (!token) return undefined;
    const plan = this.planFor(tenantId, provider, strategy, token);
    const target = this.target(config, plan);
    // Last, so a call refused for its host never spends a unit of the budget.
    const admitted = this.budgets.admit(tenantId, provider, plan.account);
    if (admitted) return admitted.then(() => this.finish(config, plan, target));
    return this.finish(config, plan, target);
  }

  /** Resolves the tenant, takes the token (or throws the typed "cannot authorize" error) and sets the header. */
  private async sign(config: InternalAxiosRequestConfig): Promise<SignedRequest> {
    const request = requestedConnection(config);
    const { provider } = request;
    const tenantId = request.tenantId ?? (await this.resolveTenant(provider));
    const strategy = this.strategies.get(provider);
    const token = await this.tokens.getAccessToken(tenantId, provider);
    const plan = this.planFor(tenantId, provider, strategy, token);
    const target = this.target(config, plan);
    // Last, so a call refused for its host never spends a unit of the budget.
    const admitted = this.budgets.admit(tenantId, provider, plan.account);
    if (admitted) await admitted;
    return this.finish(config, plan, target);
  }

  /**
   * Host binding: the credentials go only where the connection's strategy (and http.allowedHosts) says,
   * checked on the final URL before the header is even set. The URL is parsed at most once, and not at
   * all when it starts with an origin the plan already judged.
   */
  private target(config: InternalAxiosRequestConfig, plan: SigningPlan): SigningTarget {
    const { tenantId, provider } = plan;
    if ((config.signingAuth as SigningAuthRequestOptions).docusignAccountBase) {
      config.baseURL = plan.docuSignAccountBase(() =>
        docuSignAccountBase(tenantId, provider, plan.token.metadata),
      );
    }
    const url = finalUrl(config);
    const accepted = plan.acceptedTarget(url);
    if (accepted) {
      if (accepted.checked) this.network.useCheckedPool(config);
      return accepted;
    }
    const target = checkCredentialTarget(url, plan.rules);
    if (target.refusal) {
      this.logger.warn(target.refusal.message);
      throw target.refusal;
    }
    // A tenant-chosen origin (oauth2 apiBaseUrls) connects only through the checking lookup.
    const checked = plan.isTenantChosen(target.url.origin);
    if (checked) {
      const forbidden = this.network.route(config, target.url);
      if (forbidden) {
        const error = new SigningAuthHostError(tenantId, provider, target.url.host, forbidden.reason);
        this.logger.warn(error.message);
        throw error;
      }
    }
    return { host: target.url.host, checked };
  }

  private finish(
    config: InternalAxiosRequestConfig,
    plan: SigningPlan,
    target: SigningTarget,
  ): SignedRequest {
    config.headers.set('Authorization', plan.authorization);
    config.beforeRedirect = plan.redirectGuard(target.checked, config.beforeRedirect);
    const { tenantId, provider, strategy, token, authorization, account } = plan;
    return { tenantId, provider, strategy, token, authorization, host: target.host, account };
  }

  /** The connection's signing plan for this token: made once per token object, not per call. */
  private planFor(
    tenantId: string,
    provider: string,
    strategy: SigningAuthStrategy,
    token: HttpAccessToken,
  ): SigningPlan {
    const known = this.plans.get(token);
    if (known?.serves(tenantId, provider, strategy)) return known;
    const plan = new SigningPlan(
      tenantId,
      provider,
      strategy,
      token,
      this.planSettings(provider),
      this.network,
    );
    this.plans.set(token, plan);
    return plan;
  }

  private planSettings(provider: string) {
    return {
      operatorAllowed: this.options.http.allowedHosts[provider],
      allowLoopbackHttp: this.options.http.allowLoopbackHttp,
    };
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
  if (!config.baseURL) return url;
  const absolute = /^([a-z][a-z\d+\-.]*:)?\/\//i.test(url);
  if (absolute && config.allowAbsoluteUrls !== false) return url;
  return url ? `${config.baseURL.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}` : config.baseURL;
}

function sameAdapters(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `signingAuth` of a request, checked: the provider is required (the tenant may come from the resolver). */
function requestedConnection(config: InternalAxiosRequestConfig): { tenantId?: string; provider: string } {
  const request = config.signingAuth as SigningAuthRequestOptions | undefined;
  const provider = request?.provider;
  if (typeof provider !== 'string' || provider === '') {
    throw new SigningAuthRequestError(
      request?.tenantId,
      String(provider ?? ''),
      'signingAuth.provider is required',
    );
  }
  return { tenantId: request?.tenantId, provider };
}
