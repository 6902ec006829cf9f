/** Why a callback's `state` was refused. @publicApi */
export type AuthorizationStateFailure =
  | 'unknown'
  | 'replayed'
  | 'expired'
  | 'wrong_provider'
  | 'other_browser'
  | 'missing'
  | 'several_flows'
  | 'wrong_issuer'
  | 'missing_issuer';

const STATE_REASONS: Record<AuthorizationStateFailure, string> = {
  unknown: 'is unknown (never issued, or the flow was cleaned up)',
  replayed: 'was already used',
  expired: 'has expired; start the authorization again',
  wrong_provider: 'was issued for another provider',
  other_browser:
    'belongs to a connect flow started in another browser: finish it in the browser that started it ' +
    '(a forwarded authorization link cannot connect an account)',
  several_flows:
    'is missing, and this browser has several connect flows of this provider open, so the callback cannot ' +
    'tell which one it completes; nothing was stored. Start the authorization again and finish one at a time',
  wrong_issuer:
    "came back from another authorization server than the connection's (RFC 9207 iss does not match; a " +
    'mix-up attempt or a misconfigured config.issuer); nothing was stored, start the authorization again',
  missing_issuer:
    'came back without the iss the connection expects (config.issuer is set, RFC 9207); nothing was stored. ' +
    'Remove config.issuer if this authorization server does not send iss',
  missing:
    'is missing: the provider redirected back with a code but without the state it was sent, so the ' +
    'callback cannot tell whose authorization it completes; nothing was stored',
};

/**
 * The OAuth callback's `state` does not match a live, unused authorization started for this provider.
 * Nothing was stored. The admin API answers 4xx.
 * @publicApi
 */
export class AuthorizationStateError extends Error {
  override readonly name = 'AuthorizationStateError';

  constructor(
    readonly reason: AuthorizationStateFailure,
    readonly provider: string,
    /** Known when the state was found (expired, replayed, other provider). */
    readonly tenantId?: string,
  ) {
    super(
      `OAuth state on the ${provider} callback${tenantId ? ` (tenant "${tenantId}")` : ''} ${STATE_REASONS[reason]}`,
    );
  }
}

/**
 * The provider sent the user back with an error (`error=access_denied` ...), or without a code.
 * Carries the provider's `error` and `error_description`. Nothing was stored.
 * @publicApi
 */
export class ProviderAuthorizationError extends Error {
  override readonly name = 'ProviderAuthorizationError';

  constructor(
    readonly provider: string,
    readonly error: string,
    readonly description: string | undefined,
    readonly tenantId?: string,
  ) {
    super(
      `${provider} authorization${tenantId ? ` for tenant "${tenantId}"` : ''} failed: ${error}` +
        (description ? ` (${description})` : ''),
    );
  }
}

/** The connection does not use the authorization-code grant (client credentials, JWT, API token). @publicApi */
export class AuthorizationNotSupportedError extends Error {
  override readonly name = 'AuthorizationNotSupportedError';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
  ) {
    super(
      `The ${provider} connection of tenant "${tenantId}" does not use the authorization-code grant; ` +
        'it needs no authorization',
    );
  }
}
