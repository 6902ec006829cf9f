/** The part of an access token the HTTP layer needs (structurally the `TokenService`'s `AccessToken`). @internal */
export interface HttpAccessToken {
  accessToken: string;
  tokenType: string;
  expiresAt: Date | null;
  metadata: Record<string, unknown>;
  /** The connection's non-secret config (the generic OAuth 2.0 `apiBaseUrls`, Signicat's generation, ...). */
  config?: Record<string, unknown>;
}

/**
 * Where the interceptor gets tokens: `TokenService` in the module. A seam of its own so the interceptor
 * depends on two calls, not on how tokens are cached, leased and refreshed.
 * @internal
 */
export interface HttpTokenSource {
  /** A usable token; throws the typed "cannot authorize" errors (unknown connection, needs_reauth, disabled). */
  getAccessToken(tenantId: string, provider: string): Promise<HttpAccessToken>;
  /**
   * The token when it is cached and servable, without waiting; `undefined` (and nothing counted) when
   * {@link getAccessToken} must load it. The same object for every call while the token does not change,
   * so what is derived from it (origins, the header) can be kept with it. Optional.
   */
  cachedToken?(tenantId: string, provider: string): HttpAccessToken | undefined;
  /** Refreshes only if the stored token is still the rejected one (single-flight, lease-safe). */
  forceRefresh(
    tenantId: string,
    provider: string,
    options: { rejectedAccessToken: string },
  ): Promise<HttpAccessToken>;
}

/** @internal */
export const HTTP_TOKEN_SOURCE = Symbol('SIGNING_AUTH_HTTP_TOKEN_SOURCE');
