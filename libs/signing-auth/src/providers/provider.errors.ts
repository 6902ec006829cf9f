/**
 * How a failure from a provider should be handled.
 * - `needs_reauth`: the grant is gone or the credentials were refused; retrying will not help.
 * - `transient`: an outage, a timeout, a 5xx or a 429; retry with backoff (honouring `retryAfterMs`).
 * @publicApi
 */
export type ProviderFailureKind = 'needs_reauth' | 'transient';

/**
 * A classified failure while talking to a provider. Carries the provider's error code and a short
 * description, never a secret or a token.
 * @publicApi
 */
export class ProviderFailure extends Error {
  override readonly name = 'ProviderFailure';

  constructor(
    readonly kind: ProviderFailureKind,
    message: string,
    readonly details: {
      /** The provider's error code, e.g. `invalid_grant`, `consent_required`, `invalid_client`. */
      code?: string;
      httpStatus?: number;
      retryAfterMs?: number;
      /** DocuSign JWT: where an admin grants consent. */
      consentUrl?: string;
    } = {},
  ) {
    super(message);
  }
}
