import type { SigningAuthStrategy } from '../providers/strategy.interface.js';
import { SigningAuthHostError } from './http.errors.js';

/** What decides where one signed request may go. @internal */
export interface CredentialTargetRules {
  tenantId: string;
  provider: string;
  /** Origins (`scheme://host:port`) the strategy and `http.allowedHosts` allow. */
  origins: Set<string>;
  /** Plain http to loopback is allowed (development mode or `http.allowLoopbackHttp`). */
  allowLoopbackHttp: boolean;
}

/**
 * The origins a connection's credentials may go to: what its strategy declares plus `http.allowedHosts`
 * for the provider. An entry that is not a URL is taken as a host name on https.
 * @internal
 */
export function allowedOrigins(
  strategy: SigningAuthStrategy,
  scope: Parameters<NonNullable<SigningAuthStrategy['credentialOrigins']>>[0],
  extra: readonly string[] | undefined,
): Set<string> {
  const origins = new Set<string>();
  for (const entry of [...(strategy.credentialOrigins?.(scope) ?? []), ...(extra ?? [])]) {
    const origin = originOf(typeof entry === 'string' && !entry.includes('://') ? `https://${entry}` : entry);
    if (origin) origins.add(origin);
  }
  return origins;
}

/**
 * Why the credentials may not go to `target`, as a typed error naming tenant, provider and host; or
 * `undefined` when they may. https only; http only to a loopback address and only when allowed.
 * @internal
 */
export function credentialTargetRefusal(
  target: string,
  rules: CredentialTargetRules,
): SigningAuthHostError | undefined {
  return checkCredentialTarget(target, rules).refusal;
}

/** {@link credentialTargetRefusal}, plus the parsed URL when it may go (parsed once per request). @internal */
export function checkCredentialTarget(
  target: string,
  rules: CredentialTargetRules,
): { refusal: SigningAuthHostError; url?: undefined } | { refusal?: undefined; url: URL } {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return {
      refusal: new SigningAuthHostError(
        rules.tenantId,
        rules.provider,
        '',
        'the request URL is not absolute (set url or baseURL)',
      ),
    };
  }
  const refusal = refusalFor(url, rules);
  return refusal ? { refusal } : { url };
}

function refusalFor(url: URL, rules: CredentialTargetRules): SigningAuthHostError | undefined {
  const { tenantId, provider } = rules;
  const host = url.host;
  if (url.protocol === 'http:') {
    if (!isLoopbackHostname(url.hostname)) {
      return new SigningAuthHostError(tenantId, provider, host, 'credentials are sent over https only');
    }
    if (!rules.allowLoopbackHttp) {
      return new SigningAuthHostError(
        tenantId,
        provider,
        host,
        'plain http is allowed only to loopback, in development mode or with http.allowLoopbackHttp',
      );
    }
  } else if (url.protocol !== 'https:') {
    return new SigningAuthHostError(tenantId, provider, host, 'credentials are sent over https only');
  }
  if (!rules.origins.has(url.origin)) {
    return new SigningAuthHostError(
      tenantId,
      provider,
      host,
      rules.origins.size === 0
        ? `no host is allowed for this connection (${provider === 'oauth2' ? "set the connection's config.apiBaseUrls, or " : ''}add http.allowedHosts.${provider})`
        : `the ${provider} connection's credentials go only to ${[...rules.origins].join(', ')} ` +
            `(add a proxy with http.allowedHosts.${provider})`,
    );
  }
  return undefined;
}

/** `scheme://host[:port]` of a URL (default ports dropped, host lower-cased), or `undefined`. @internal */
export function originOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** `localhost`, 127.0.0.0/8 or `[::1]`. @internal */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
