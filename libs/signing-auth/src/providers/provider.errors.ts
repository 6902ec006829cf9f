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
      /**
       * The provider's error code, e.g. `invalid_grant`, `consent_required`, `invalid_client`; or the
       * library's own: `timeout`, `network_error`, `invalid_response`, `http_error`.
       */
      code?: string;
      /** The provider's description (`error_description`, Signicat's `detail`, DocSpring's `error`), redacted. */
      description?: string;
      httpStatus?: number;
      retryAfterMs?: number;
      /** DocuSign JWT: where an admin grants consent. */
      consentUrl?: string;
      /** Bad client credentials (as opposed to a lapsed grant): a human must fix the connection's secrets. */
      credentialsRefused?: boolean;
      /** `invalid_scope`: the client's settings at the provider do not allow the scopes asked for. */
      scopeRefused?: boolean;
    } = {},
  ) {
    super(message);
  }
}
