/**
 * Errors of {@link TokenService}. Each names the tenant, the provider and the reason; none ever carries a
 * token, a secret or a ciphertext.
 */

/**
 * The provider said the grant is gone (`invalid_grant`, `consent_required`, refused credentials): an admin
 * must connect the account again. Retrying will not help.
 * @publicApi
 */
export class SigningAuthReauthRequiredError extends Error {
  override readonly name = 'SigningAuthReauthRequiredError';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
    readonly reason: string,
    /** DocuSign JWT: where an admin grants consent. */
    readonly consentUrl?: string,
  ) {
    super(`The ${provider} connection of tenant "${tenantId}" needs to be re-authorized: ${reason}`);
  }
}

/**
 * A refresh failed for a passing reason (outage, timeout, 5xx, 429) and no valid token is left to serve.
 * The library retries by itself; `retryAt` says when the next attempt is due.
 * @publicApi
 */
export class SigningAuthRefreshError extends Error {
  override readonly name = 'SigningAuthRefreshError';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
    readonly reason: string,
    readonly retryAt: Date | null,
  ) {
    super(
      `Could not refresh the ${provider} token of tenant "${tenantId}": ${reason}` +
        (retryAt ? ` (next attempt at ${retryAt.toISOString()})` : ''),
    );
  }
}

/** The connection is switched off by an admin. @publicApi */
export class SigningAuthConnectionDisabledError extends Error {
  override readonly name = 'SigningAuthConnectionDisabledError';
  readonly reason = 'connection is disabled';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
  ) {
    super(`The ${provider} connection of tenant "${tenantId}" is disabled`);
  }
}

/** The connection awaits a user's consent (authorization-code flow not completed yet). @publicApi */
export class SigningAuthConnectionPendingError extends Error {
  override readonly name = 'SigningAuthConnectionPendingError';
  readonly reason = 'connection awaits consent';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
  ) {
    super(
      `The ${provider} connection of tenant "${tenantId}" awaits consent: complete the authorization flow first`,
    );
  }
}

/**
 * The stored connection cannot be processed by this app: a secret is encrypted under a key id the keyring
 * does not hold, the stored value is unreadable, or the connection's provider has no strategy (a custom
 * strategy was removed). Retrying will not help until the configuration is fixed (add the key back as a
 * decryption key, restore the strategy) or the connection is replaced. The row is marked `error` with this
 * reason in `lastError` and retried with backoff. The message names tenant, provider, the reason and the key
 * id; never a secret.
 * @publicApi
 */
export class SigningAuthUnprocessableConnectionError extends Error {
  override readonly name = 'SigningAuthUnprocessableConnectionError';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
    /** `unknown_key`, `authentication_failed`, `malformed` (stored data), or `unknown_provider`. */
    readonly reason: 'unknown_key' | 'authentication_failed' | 'malformed' | 'unknown_provider',
    /** What is wrong, in words (already names the field and key id). */
    readonly detail: string,
    /** The key id the unreadable value names, when there is one. */
    readonly keyId?: string,
  ) {
    super(`The ${provider} connection of tenant "${tenantId}" cannot be processed: ${detail}`);
  }
}
