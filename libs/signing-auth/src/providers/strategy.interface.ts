import type { ProviderFailure } from './provider.errors.js';
import type { ConnectionSchema } from './shared/connection-schema.js';

/** Provider ids of the built-in strategies. A custom strategy may use any other id. @publicApi */
export type BuiltInProviderId = 'docusign' | 'formstack-sign' | 'signicat' | 'docspring' | 'oauth2';

/**
 * What a strategy gets to work with: one connection, decrypted. Never log it.
 * @publicApi
 */
export interface StrategyConnection {
  tenantId: string;
  provider: string;
  /** Non-secret settings, as validated by {@link SigningAuthStrategy.validate}. */
  config: Record<string, unknown>;
  /** Secret settings (client secret, private key, token secret), decrypted. */
  secrets: Record<string, string>;
  /** The stored refresh token, if the grant has one. */
  refreshToken?: string | null;
  /** Provider facts recorded after connecting (DocuSign: accountId, baseUri, ...). */
  metadata: Record<string, unknown>;
}

/** What decides where a connection's credentials may be sent: never a secret. @publicApi */
export interface CredentialScope {
  tenantId: string;
  provider: string;
  /** Non-secret settings, as validated. */
  config: Record<string, unknown>;
  /** Provider facts recorded after connecting (DocuSign: `baseUri`, ...). */
  metadata: Record<string, unknown>;
}

/**
 * A token obtained from a provider, in the shape the store keeps.
 * @publicApi
 */
export interface TokenGrant {
  accessToken: string;
  /** `Bearer` for OAuth providers, `Basic` for static credentials. */
  tokenType: string;
  /** When the access token stops working; `null` when it never expires (DocSpring). */
  expiresAt: Date | null;
  /**
   * `undefined`: the provider sent none, keep the stored one (Formstack Sign, non-rotating OAuth servers).
   * `null`: the grant has no refresh token (client credentials, JWT).
   * A string: the provider rotated it; the old one must never be sent again.
   */
  refreshToken?: string | null;
  /**
   * `undefined`: keep the stored expiry (DocuSign without `extended` keeps the first token's absolute expiry).
   * `null`: unknown or none. A date: when the refresh token lapses.
   */
  refreshTokenExpiresAt?: Date | null;
  /** Granted scopes when the provider reports them. */
  scopes?: string[];
  /** Provider facts to merge into the connection's metadata. */
  metadata?: Record<string, unknown>;
}

/** What {@link SigningAuthStrategy.validate} returns: the normalised connection settings. @publicApi */
export interface ValidatedConnectionInput {
  config: Record<string, unknown>;
  secrets: Record<string, string>;
  /** e.g. `authorization_code`, `client_credentials`, `jwt`, `api_token`. */
  grantType: string;
  scopes: string[];
}

/** Parameters for building the provider's authorization URL. @publicApi */
export interface AuthorizationUrlParams {
  redirectUri: string;
  state: string;
  /** PKCE S256 challenge of the verifier the library keeps server-side. */
  codeChallenge: string;
}

/** Parameters for exchanging an authorization code. @publicApi */
export interface CodeExchangeParams {
  code: string;
  redirectUri: string;
  codeVerifier: string;
}

/** Context the library hands to every network-facing strategy method. @publicApi */
export interface StrategyContext {
  /** Abort the provider call when this fires (it fires before the refresh lease runs out). */
  signal: AbortSignal;
  /** The library's clock, injectable in tests. */
  now(): Date;
}

/**
 * Everything the library needs to know about one provider. Implement it to add your own provider and pass
 * the instance in `SigningAuthModuleOptions.strategies`.
 *
 * Methods that talk to the provider throw a {@link ProviderFailure} (see `provider.errors.ts`) so the
 * library can tell `needs_reauth` from an outage.
 * @publicApi
 */
export interface SigningAuthStrategy {
  /** The provider id used in routes and in `TokenService` calls, e.g. `docusign`. */
  readonly id: string;

  /**
   * Checks and normalises a connection's `config` and `secrets` (the admin PUT body).
   * Throws `ConnectionValidationError` naming the field and the reason.
   */
  validate(input: { config: unknown; secrets: unknown }): ValidatedConnectionInput;

  /**
   * Optional. What `validate` accepts, as JSON Schema with labels and help: the admin API serves it at
   * `GET {prefix}/providers` and the Connect page builds its form from it. Without it, the page offers
   * JSON fields for `config` and `secrets`.
   */
  describeConnection?(): ConnectionSchema | undefined;

  /**
   * Optional. `true` for providers that may redirect back without the `state` they were sent (Formstack Sign
   * does not document echoing it): such a callback then completes the flow that the browser's binding cookie
   * names (flows started with `bindToBrowser`, e.g. from the Connect page), with every other check as usual.
   * Default: `false` (a callback without `state` is refused).
   */
  readonly callbackMayOmitState?: boolean;

  /** Whether this connection needs a user's consent through the authorization-code flow. */
  usesAuthorizationCode(connection: StrategyConnection): boolean;

  /**
   * Optional. Whether a connection that does not need the authorization-code grant may still go through the
   * connect flow to record a user's consent (DocuSign JWT: the user approves `signature impersonation`).
   * `AuthorizationFlowService.complete()` then calls `exchangeCode`, which may ignore the code and obtain the
   * first token its own way. Default: false.
   */
  supportsConsentFlow?(connection: StrategyConnection): boolean;

  /**
   * Optional. The authorization server's issuer identifier (RFC 9207) for this connection, e.g. from its
   * config. When it returns one, a callback must carry `iss` equal to it (a response without `iss` or with
   * another is refused). Without it, an `iss` that does arrive must have the origin of the authorization
   * endpoint ({@link buildAuthorizationUrl}). Generic `oauth2`: `config.issuer`.
   */
  authorizationIssuer?(connection: StrategyConnection): string | undefined;

  /** Builds the URL the admin's browser is sent to (authorization-code grants only). */
  buildAuthorizationUrl?(connection: StrategyConnection, params: AuthorizationUrlParams): string;

  /** Exchanges an authorization code for a grant (authorization-code grants only). */
  exchangeCode?(
    connection: StrategyConnection,
    params: CodeExchangeParams,
    context: StrategyContext,
  ): Promise<TokenGrant>;

  /**
   * Obtains a fresh access token: with the stored refresh token, or without a user (client credentials,
   * JWT assertion, static credentials).
   */
  refresh(connection: StrategyConnection, context: StrategyContext): Promise<TokenGrant>;

  /**
   * Optional. Checks credentials that need no user when a connection is saved, and returns the first grant
   * (`verifyOnSave`). The built-in strategies implement it (their first token request; DocSpring's
   * `GET /api/v1/authentication`); a custom strategy without it is saved unchecked. Throws a {@link ProviderFailure}.
   */
  verify?(connection: StrategyConnection, context: StrategyContext): Promise<TokenGrant>;

  /**
   * Optional. One cheap call that presents the connection's current credentials to the provider, for
   * `ConnectionsService.testConnection()` (the admin API's `POST .../test`): DocuSign's userinfo, DocSpring's
   * `GET /api/v1/authentication`. Resolves with a short sentence of what the provider said (no secret);
   * throws a {@link ProviderFailure}. Without it, the test is a token request (see `testConnection`).
   */
  checkAccess?(
    connection: StrategyConnection,
    grant: Pick<TokenGrant, 'accessToken' | 'tokenType'>,
    context: StrategyContext,
  ): Promise<string>;

  /** Runs once after a grant is first obtained (DocuSign: userinfo → accountId, baseUri). Returns metadata. */
  afterConnect?(
    connection: StrategyConnection,
    grant: TokenGrant,
    context: StrategyContext,
  ): Promise<Record<string, unknown>>;

  /**
   * Optional. Where API calls carrying this connection's credentials may go (`SigningAuthHttpService`):
   * origins or base URLs (`https://api.example.com`, `https://eu.example.com:8443/v2`; only scheme, host
   * and port count). A signed request to any other origin fails before it is sent, and a redirect to one
   * is followed without the header. The module's `http.allowedHosts[provider]` adds to this list.
   * Without this method only `http.allowedHosts[provider]` is allowed. Asked once per token (the answer is
   * kept until the token or the connection changes), so it must depend on the connection alone.
   */
  credentialOrigins?(connection: CredentialScope): string[];

  /** The `Authorization` header value for an outgoing API call (built once per token by the HTTP layer). */
  authorizationHeader(grant: Pick<TokenGrant, 'accessToken' | 'tokenType'>): string;

  /** Maps any error thrown while talking to the provider onto a failure class. */
  classifyError?(error: unknown, connection: StrategyConnection): ProviderFailure;
}

/** The injection token under which the strategy registry lists every strategy. @publicApi */
export const SIGNING_AUTH_STRATEGIES = Symbol('SIGNING_AUTH_STRATEGIES');
