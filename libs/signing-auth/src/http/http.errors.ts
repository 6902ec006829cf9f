/**
 * Errors of outgoing calls through `SigningAuthHttpService`. None ever carries an `Authorization` value or a
 * token. (A connection that cannot authorize a request surfaces as the `TokenService` errors:
 * `ConnectionNotFoundError`, `SigningAuthReauthRequiredError`, `SigningAuthConnectionDisabledError`, ...)
 */

/**
 * The request asked for signing auth but cannot be sent as asked (no tenant, DocuSign base URI unknown,
 * option used with the wrong provider). Thrown before the request leaves the process.
 * @publicApi
 */
export class SigningAuthRequestError extends Error {
  override readonly name: string = 'SigningAuthRequestError';

  constructor(
    readonly tenantId: string | undefined,
    readonly provider: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Cannot send a ${provider || '(no provider)'} request` +
        (tenantId ? ` for tenant "${tenantId}"` : '') +
        `: ${reason}`,
      options,
    );
  }
}

/**
 * A signed request was headed where the connection's credentials may not go: a host its strategy does not
 * declare (nor `http.allowedHosts` adds), or plain http to anything but an allowed loopback address.
 * Thrown before the request leaves the process; nothing was sent. `host` is `host[:port]` of the target.
 * @publicApi
 */
export class SigningAuthHostError extends SigningAuthRequestError {
  override readonly name: string = 'SigningAuthHostError';

  constructor(
    tenantId: string,
    provider: string,
    readonly host: string,
    reason: string,
  ) {
    super(tenantId, provider, `credentials may not be sent to ${host || '(no host)'}: ${reason}`);
  }
}

/**
 * A `docusignAccountBase` request for a connection whose account is not recorded yet: the connect flow
 * stored the grant but DocuSign's userinfo has not answered since (`metadata.accountPending`). The library
 * keeps trying (the sweep, within minutes); retry the request later, or send an absolute URL.
 * @publicApi
 */
export class SigningAuthAccountUnknownError extends SigningAuthRequestError {
  override readonly name: string = 'SigningAuthAccountUnknownError';

  constructor(tenantId: string, provider: string) {
    super(
      tenantId,
      provider,
      'the DocuSign account is not yet known (userinfo has not answered since connecting; the library retries it). ' +
        'Try again later, or send an absolute URL',
    );
  }
}

/** The provider's answer to a refused request, without the request's credentials. @publicApi */
export interface ProviderRefusal {
  status: number;
  /** Response body as the provider sent it (error codes, messages). */
  data: unknown;
  /** Response headers (e.g. `www-authenticate`). */
  headers: Record<string, unknown>;
}

/**
 * The provider answered 403: the connection's grant lacks a scope (or a permission) the call needs.
 * Names the tenant, the provider, the scopes the connection has and, when the provider says so
 * (RFC 6750 `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."`), the scopes it wants.
 * Re-authorize the connection with the missing scope, or grant the permission in the provider's console.
 * @publicApi
 */
export class SigningAuthScopeError extends Error {
  override readonly name = 'SigningAuthScopeError';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
    /** Scopes the connection holds (from its view); empty when the provider reported none. */
    readonly grantedScopes: string[],
    /** Scopes the provider asked for, when it said; else empty. */
    readonly requiredScopes: string[],
    /** `GET /restapi/v2.1/accounts/…/envelopes` (no query string: it may hold secrets). */
    readonly request: string,
    readonly response: ProviderRefusal,
    options?: { cause?: unknown },
  ) {
    super(
      `${provider} refused ${request} for tenant "${tenantId}" with 403: the connection lacks a scope or ` +
        `permission the call needs. Granted scopes: ${list(grantedScopes)}` +
        (requiredScopes.length > 0 ? `; the provider asks for: ${list(requiredScopes)}` : '') +
        '. Re-authorize the connection with the missing scope (or grant it in the provider console).',
      options,
    );
  }
}

function list(scopes: string[]): string {
  return scopes.length > 0 ? scopes.join(' ') : '(none recorded)';
}
