import { isIP } from 'node:net';
import type { InternalAxiosRequestConfig } from 'axios';
import type { ResolvedOptions } from '../common/resolved-options.js';
import { ForbiddenAddressError, NetworkPolicy } from '../network/network-policy.js';
import { ProviderAgents, type AgentPair } from '../providers/shared/provider-agents.js';
import type { CredentialScope, SigningAuthStrategy } from '../providers/strategy.interface.js';
import { originOf } from './credential-targets.js';

/** Injection token of the {@link NetworkPolicy} signed calls to tenant origins are held to. @internal */
export const SIGNED_CALL_NETWORK_POLICY = Symbol('SIGNING_AUTH_SIGNED_CALL_NETWORK_POLICY');

/** @internal */
export function createSignedCallNetworkPolicy(options: ResolvedOptions): NetworkPolicy {
  return new NetworkPolicy(options);
}

/**
 * A strategy whose credential origins come from the tenant's own data (the generic `oauth2` strategy's
 * `config.apiBaseUrls`), as opposed to hosts the operator or the provider chose. @internal
 */
export interface TenantOriginSource {
  tenantCredentialOrigins(scope: CredentialScope): string[];
}

/**
 * Per connection config object (the token cache hands the same object to every call until the connection
 * changes), so a signed call does not parse the tenant's URLs again.
 */
const tenantOriginCache = new WeakMap<object, { operatorAllowed: unknown; origins: Set<string> }>();

/** The tenant-chosen origins of a connection, without those the operator also allows (`http.allowedHosts`). @internal */
export function tenantOrigins(
  strategy: SigningAuthStrategy,
  scope: CredentialScope,
  operatorAllowed: readonly string[] | undefined,
): Set<string> | undefined {
  const source = strategy as Partial<TenantOriginSource>;
  if (typeof source.tenantCredentialOrigins !== 'function') return undefined;
  const cached = tenantOriginCache.get(scope.config);
  if (cached && cached.operatorAllowed === operatorAllowed) return cached.origins;
  const origins = computeTenantOrigins(source as TenantOriginSource, scope, operatorAllowed);
  tenantOriginCache.set(scope.config, { operatorAllowed, origins });
  return origins;
}

function computeTenantOrigins(
  source: TenantOriginSource,
  scope: CredentialScope,
  operatorAllowed: readonly string[] | undefined,
): Set<string> {
  const origins = new Set<string>();
  for (const entry of source.tenantCredentialOrigins(scope)) {
    const origin = originOf(entry);
    if (origin) origins.add(origin);
  }
  for (const entry of operatorAllowed ?? []) {
    origins.delete(originOf(entry.includes('://') ? entry : `https://${entry}`) ?? '');
  }
  return origins;
}

/**
 * Signed calls to a tenant-chosen origin connect the way the provider client's tenant URLs do: through a
 * keep-alive pool whose every socket is opened through the network policy's checking `lookup`, so a name
 * that resolved to a public address when it was saved and to 10.0.0.5 now (DNS rebinding) is refused when
 * the socket connects; an IP literal (which never reaches a lookup) is checked here, before sending; and a
 * redirect to a refused literal is not followed.
 * @internal
 */
export class SignedCallNetwork {
  private readonly agents: ProviderAgents;
  private pair?: AgentPair;

  constructor(private readonly policy: NetworkPolicy) {
    this.agents = new ProviderAgents(policy.lookup);
  }

  /**
   * Routes `config` through the checked pool (the caller's own `httpAgent`/`httpsAgent` are replaced: a
   * tenant's origin never gets an unchecked socket). Returns why `url` may not be reached, if its host is a
   * refused IP literal.
   */
  route(config: InternalAxiosRequestConfig, url: URL): ForbiddenAddressError | undefined {
    const refused = this.literalRefusal(url.hostname);
    if (refused) return refused;
    this.useCheckedPool(config);
    return undefined;
  }

  /** {@link route} for a target whose host was already found not to be a refused literal. */
  useCheckedPool(config: InternalAxiosRequestConfig): void {
    const pair = (this.pair ??= this.agents.checkedPair());
    config.httpAgent = pair.http;
    config.httpsAgent = pair.https;
  }

  /** Why a redirect target may not be followed (an IP literal the policy refuses), else `undefined`. */
  redirectRefusal(href: string): ForbiddenAddressError | undefined {
    try {
      return this.literalRefusal(new URL(href).hostname);
    } catch {
      return undefined; // follow-redirects refuses what is not a URL itself
    }
  }

  close(): void {
    this.agents.destroy();
    this.pair = undefined;
  }

  /** Why a host name that is an IP literal may not be reached (`undefined` for names and allowed literals). */
  literalRefusal(hostname: string): ForbiddenAddressError | undefined {
    const host = hostname.replace(/^\[|\]$/g, '');
    return isIP(host) ? this.policy.refusal(host) : undefined;
  }
}

/** The {@link ForbiddenAddressError} behind a failed request (the lookup's, or a refused redirect's), if any. @internal */
export function forbiddenAddressIn(error: unknown): ForbiddenAddressError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if (current instanceof ForbiddenAddressError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
