import type { InternalAxiosRequestConfig } from 'axios';
import type { CredentialScope, SigningAuthStrategy } from '../providers/strategy.interface.js';
import {
  allowedOrigins,
  checkCredentialTarget,
  credentialTargetRefusal,
  type CredentialTargetRules,
} from './credential-targets.js';
import type { HttpAccessToken } from './http-token-source.js';
import { tenantOrigins, type SignedCallNetwork } from './signed-call-network.js';

type BeforeRedirect = NonNullable<InternalAxiosRequestConfig['beforeRedirect']>;

/** An origin a signed request may go to, checked once with the full rules (refusalFor) when the plan was made. */
interface AcceptedOrigin {
  /** `scheme://host[:port]` as `URL#origin` serialises it (lower case, default port dropped). */
  origin: string;
  /** `host[:port]`, for a refusal at connect time. */
  host: string;
  /** A tenant-chosen origin: connects only through the checked pool. */
  checked: boolean;
}

/** Where one request goes, as far as signing is concerned. @internal */
export interface SigningTarget {
  host: string;
  checked: boolean;
}

/**
 * Everything about signing a connection's requests that does not change from call to call while its token
 * does not: the strategy's origins (parsed once), which of them are the tenant's own, the `Authorization`
 * value, the rate-limit account and the redirect guard. Made on the first signed call with a token and
 * kept (weakly) with that token object, which the token cache hands out until the token or the
 * connection changes: a refresh, a config change or an eviction makes a new plan.
 * @internal
 */
export class SigningPlan {
  readonly rules: CredentialTargetRules;
  readonly authorization: string;
  readonly account: string;
  private readonly tenantChosen: Set<string> | undefined;
  private readonly accepted: AcceptedOrigin[] = [];
  private readonly guards: { trusted?: BeforeRedirect; checked?: BeforeRedirect } = {};
  private accountBase: string | undefined;

  constructor(
    readonly tenantId: string,
    readonly provider: string,
    readonly strategy: SigningAuthStrategy,
    readonly token: HttpAccessToken,
    settings: { operatorAllowed: readonly string[] | undefined; allowLoopbackHttp: boolean },
    private readonly network: SignedCallNetwork,
  ) {
    const scope: CredentialScope = {
      tenantId,
      provider,
      config: token.config ?? {},
      metadata: token.metadata,
    };
    this.rules = {
      tenantId,
      provider,
      origins: allowedOrigins(strategy, scope, settings.operatorAllowed),
      allowLoopbackHttp: settings.allowLoopbackHttp,
    };
    this.tenantChosen = tenantOrigins(strategy, scope, settings.operatorAllowed);
    for (const origin of this.rules.origins) {
      // Each allowed origin is judged once, by the same code a request's URL goes through; one that is
      // refused anyway (plain http to a public host, a refused IP literal) is left to the full path,
      // which throws the typed error.
      const target = checkCredentialTarget(origin, this.rules);
      if (target.refusal || target.url.origin !== origin) continue;
      const checked = this.tenantChosen?.has(origin) === true;
      if (checked && network.literalRefusal(target.url.hostname)) continue;
      this.accepted.push({ origin, host: target.url.host, checked });
    }
    this.authorization = strategy.authorizationHeader(token);
    this.account = typeof token.metadata?.accountId === 'string' ? token.metadata.accountId : '';
  }

  /** Whether this plan was made for the same connection and strategy (a custom token source may share objects). */
  serves(tenantId: string, provider: string, strategy: SigningAuthStrategy): boolean {
    return this.tenantId === tenantId && this.provider === provider && this.strategy === strategy;
  }

  /** The DocuSign account base URL, built once (a missing account throws the typed error each time). */
  docuSignAccountBase(build: () => string): string {
    return (this.accountBase ??= build());
  }

  /**
   * The target of `url` (the final URL axios will request), without parsing it when it starts with an
   * accepted origin followed by `/`, `?`, `#` or nothing: a WHATWG parser reads exactly that origin from
   * such a string (the authority ends at the first of those characters, and the accepted origin is
   * already in its serialised form). Anything else (other ports, userinfo, upper case, a longer host name)
   * is parsed and judged in full: `undefined` then means "take the full path".
   */
  acceptedTarget(url: string): SigningTarget | undefined {
    for (const entry of this.accepted) {
      if (!url.startsWith(entry.origin)) continue;
      const next = url.charCodeAt(entry.origin.length);
      // NaN (end), '/', '?', '#'
      if (Number.isNaN(next) || next === 0x2f || next === 0x3f || next === 0x23) return entry;
    }
    return undefined;
  }

  /** Whether a parsed, allowed origin is one of the tenant's own (connects only through the checked pool). */
  isTenantChosen(origin: string): boolean {
    return this.tenantChosen?.has(origin) === true;
  }

  /**
   * The `beforeRedirect` of a request: a redirect is followed without the `Authorization` header unless
   * its target passes the same rules as the request itself (follow-redirects drops it only for another
   * host name, and keeps it for subdomains and other ports); from a tenant's origin, a redirect to a
   * refused IP literal is not followed at all. Without a caller's own `beforeRedirect` the guard is made
   * once per plan.
   */
  redirectGuard(checked: boolean, own: BeforeRedirect | undefined): BeforeRedirect {
    const network = checked ? this.network : undefined;
    if (own) return redirectGuard(this.rules, network, own);
    const slot = checked ? 'checked' : 'trusted';
    return (this.guards[slot] ??= redirectGuard(this.rules, network, undefined));
  }
}

function redirectGuard(
  rules: CredentialTargetRules,
  network: SignedCallNetwork | undefined,
  own: BeforeRedirect | undefined,
): BeforeRedirect {
  return (options, responseDetails, requestDetails) => {
    const target = typeof options.href === 'string' ? options.href : '';
    // Thrown here, follow-redirects fails the request with it as the cause.
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
