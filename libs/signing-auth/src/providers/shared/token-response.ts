import { ProviderFailure } from '../provider.errors.js';
import type { TokenGrant } from '../strategy.interface.js';
import type { FailureContext } from './provider-error.classifier.js';
import {
  lifetimeMs,
  MAX_ACCESS_TOKEN_LIFETIME_MS,
  MAX_REFRESH_TOKEN_LIFETIME_MS,
  tokenTypeOf,
} from './grant-bounds.js';
import type { JsonObject } from './provider-http.client.js';

/** How to read a token endpoint's answer (RFC 6749 §5.1) into a {@link TokenGrant}. @internal */
export interface TokenResponseOptions {
  now: Date;
  /**
   * `required`: a refresh token must come back (DocuSign rotates on every refresh).
   * `optional`: use it when present, keep the stored one otherwise (`refreshToken: undefined`).
   * `none`: the grant has no refresh token (`refreshToken: null`).
   */
  refreshToken: 'required' | 'optional' | 'none';
  /** Lifetime to assume for a newly issued refresh token, when the provider does not say. */
  refreshTokenLifetimeMs?: number;
}

/**
 * Turns a token response into a grant, checking the fields we rely on. A malformed success answer is
 * `transient`: a proxy or a half-deployed provider, not a verdict on the grant.
 */
export function grantFromTokenResponse(
  body: JsonObject,
  options: TokenResponseOptions,
  failure: FailureContext,
): TokenGrant {
  const malformed = (what: string): ProviderFailure =>
    new ProviderFailure(
      'transient',
      `${failure.provider} ${failure.operation} for tenant "${failure.tenantId}" returned a token response without ${what}`,
      { code: 'invalid_response' },
    );
  const accessToken = body.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0) throw malformed('an access_token');
  // Every field is bounded (grant-bounds.ts): an odd answer must never stop the new refresh token from
  // being stored. A lifetime beyond the bound is capped; a token type that is no plausible name is Bearer.
  const lifetime = lifetimeMs(body.expires_in, MAX_ACCESS_TOKEN_LIFETIME_MS);
  const expiresAt = lifetime !== undefined ? new Date(options.now.getTime() + lifetime) : null;
  const grant: TokenGrant = { accessToken, tokenType: tokenTypeOf(body.token_type), expiresAt };
  if (typeof body.scope === 'string') grant.scopes = body.scope.split(' ').filter(Boolean);

  const refresh =
    typeof body.refresh_token === 'string' && body.refresh_token ? body.refresh_token : undefined;
  if (options.refreshToken === 'none') {
    grant.refreshToken = null;
    grant.refreshTokenExpiresAt = null;
  } else if (refresh) {
    grant.refreshToken = refresh;
    const refreshLifetime = lifetimeMs(body.refresh_token_expires_in, MAX_REFRESH_TOKEN_LIFETIME_MS);
    grant.refreshTokenExpiresAt =
      refreshLifetime !== undefined
        ? new Date(options.now.getTime() + refreshLifetime)
        : options.refreshTokenLifetimeMs !== undefined
          ? new Date(options.now.getTime() + options.refreshTokenLifetimeMs)
          : null;
  } else if (options.refreshToken === 'required') {
    throw malformed('a refresh_token');
  }
  return grant;
}

/** `Authorization` header value for a grant: `Bearer <token>` (canonical case) or `<type> <token>`. */
export function headerFor(grant: { accessToken: string; tokenType: string }): string {
  const type = grant.tokenType.toLowerCase() === 'bearer' ? 'Bearer' : grant.tokenType;
  return `${type} ${grant.accessToken}`;
}
