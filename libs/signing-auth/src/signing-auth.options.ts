import type { CanActivate, Type } from '@nestjs/common';
import type { SigningAuthRateLimitStore } from './admin/throttle/rate-limit-store.js';
import type { EncryptionKey } from './crypto/keyring.js';
import type { SigningAuthStrategy } from './providers/strategy.interface.js';

/**
 * Host overrides for the built-in strategies: sandboxes, proxies, regional hosts, emulators in tests.
 * Each value is a base URL without a trailing slash.
 * @publicApi
 */
export interface ProviderHostOverrides {
  /**
   * DocuSign account server transport for every environment (replaces both `https://account-d.docusign.com`
   * and `https://account.docusign.com`). Only where requests go: the JWT `aud` stays the environment's real
   * host (see `docusignJwtAudience`). `docusignOAuthUrls` wins for the environment it names.
   */
  docusignOAuthUrl?: string;
  /** DocuSign account server transport per environment (an egress proxy for production only, say). */
  docusignOAuthUrls?: { demo?: string; production?: string };
  /**
   * The JWT assertion's `aud` per environment, a bare host. Only for a private DocuSign deployment whose
   * account server has another name. Default: `account-d.docusign.com` (demo), `account.docusign.com`
   * (production), whatever the transport overrides say.
   */
  docusignJwtAudience?: { demo?: string; production?: string };
  /** Formstack Sign auth server (replaces `https://sign-auth.insuresign.io` and the legacy `https://auth.insuresign.io`). */
  formstackAuthUrl?: string;
  /**
   * Formstack Sign legacy auth server, for connections with `legacyHost: true` (credentials issued before
   * 15 January 2021). Default: `formstackAuthUrl` when that is set, else `https://auth.insuresign.io`.
   */
  formstackLegacyAuthUrl?: string;
  /** Signicat API host (replaces `https://api.signicat.io`, `https://api.signicat.com` and `https://api.idfy.io`). */
  signicatUrl?: string;
  /** Signicat's deprecated Idfy host only (generation `idfy`). Default: `signicatUrl`, else `https://api.idfy.io`. */
  signicatIdfyUrl?: string;
  /** Signicat API host per generation; wins over `signicatUrl` and `signicatIdfyUrl` for the generation it names. */
  signicatUrls?: { express?: string; platform?: string; idfy?: string };
  /** DocSpring API host (replaces `https://sync.api.docspring.com` and `https://sync.api-eu.docspring.com`). */
  docspringApiUrl?: string;
  /** DocSpring API host per region; wins over `docspringApiUrl` for the region it names. */
  docspringApiUrls?: { us?: string; eu?: string };
}

/**
 * Provider facts that are not confirmed by the vendors, so they are settings (see the README's Providers section).
 * @publicApi
 */
export interface ProviderSettings {
  docusign?: {
    /**
     * Lifetime assumed for a newly issued DocuSign refresh token ("typically 30 days", "subject to change").
     * Sets `refreshTokenExpiresAt`, from which the sweep renews it early. Default: `30`.
     */
    refreshTokenLifetimeDays?: number;
    /** `exp - iat` of the JWT-grant assertion; DocuSign accepts at most 3600. Default: `3600`. */
    jwtLifetimeSeconds?: number;
  };
}

/**
 * When and how tokens are refreshed.
 * @publicApi
 */
export interface RefreshOptions {
  /**
   * Refresh an access token this long before it expires, at most.
   * Default: `300` (5 minutes).
   */
  leewaySeconds?: number;
  /**
   * For short-lived tokens the leeway is this fraction of the token's lifetime when that is smaller than
   * `leewaySeconds` (a 600 s Signicat token is refreshed 60 s early with the default, not 300 s).
   * Default: `0.1`.
   */
  leewayFraction?: number;
  /**
   * How long a replica may hold a refresh lease on a connection. Leases are set and judged on the database
   * server's clock, so replica clocks may disagree. Default: `30` seconds.
   */
  leaseSeconds?: number;
  /**
   * Timeout of one provider call. Must leave at least max(2 s, a fifth of the lease) of the lease free for
   * the write-back and short pauses; bootstrap refuses less. Default: `10000` ms.
   */
  providerTimeoutMs?: number;
  /** First retry delay after a transient failure; doubles each time, with jitter. Default: `30000` ms. */
  backoffBaseMs?: number;
  /** Longest retry delay after transient failures. Default: `3600000` ms (1 hour). */
  backoffMaxMs?: number;
  /**
   * Renew a refresh token once this fraction of its lifetime has passed (DocuSign's ~30-day refresh
   * token is renewed after 10 days with the default). Default: `1/3`.
   */
  refreshTokenRenewFraction?: number;
  /**
   * Days before a fixed-end refresh token lapses (DocuSign without `extended`) that the sweep emits
   * `connection.reauthorization_due`. Default: `7`.
   */
  reauthorizationNoticeDays?: number;
}

/**
 * The scheduled sweep that refreshes what is due. Needs `ScheduleModule.forRoot()` in the host app.
 * @publicApi
 */
export interface SweepOptions {
  /** Turn the sweep off (e.g. in a replica that only serves requests). Default: `true`. */
  enabled?: boolean;
  /** Cron expression; a seconds field is allowed (`*\/5 * * * * *`). Default: `0 * * * * *` (every minute). */
  cron?: string;
  /** Connections claimed per batch. Default: `50`. */
  batchSize?: number;
  /** Provider calls in flight at once per replica. Default: `5`. */
  concurrency?: number;
  /**
   * Access tokens are kept warm only for connections used within this window. Default: `86400` s (1 day).
   */
  activeWindowSeconds?: number;
}

/**
 * The admin REST API's settings. Whether it is mounted at all is the synchronous `adminApi` extra.
 * @publicApi
 */
export interface AdminApiOptions {
  /**
   * Bearer tokens accepted by the default guard. Stored hashed, compared in constant time. Outside
   * development mode each must be at least 32 characters (the app refuses to start otherwise); make one
   * with `node -p "require('crypto').randomBytes(32).toString('base64url')"`.
   */
  tokens?: string[];
  /** Your own guard class instead of the default token guard (e.g. one that limits an admin to some tenants). */
  guard?: Type<CanActivate>;
  /** Where the OAuth callback redirects after a successful connect (query: tenantId, provider, status). */
  successRedirectUrl?: string;
  /** Where the OAuth callback redirects after a failed connect (query: tenantId, provider, error). */
  failureRedirectUrl?: string;
  /**
   * Limits guessing, per client address (Express's `request.ip`: behind a reverse proxy set `trust proxy`):
   * wrong admin tokens (the built-in token check; not a custom `guard`) and OAuth callbacks without a live
   * state each count one failure; after `maxFailures` in a window of `windowSeconds` the address is answered
   * `429` with `Retry-After` on that door until the window closes. Successes are never counted. `store`
   * counts in memory by default, per replica: behind several replicas pass a shared one. `false` turns the
   * limit off. Default: `{ maxFailures: 20, windowSeconds: 60 }`.
   */
  rateLimit?: AdminRateLimitOptions | false;
}

/** See {@link AdminApiOptions.rateLimit}. @publicApi */
export interface AdminRateLimitOptions {
  /** Failures an address may make in one window before it is answered 429. Default: `20`. */
  maxFailures?: number;
  /** The window's length. Default: `60`. */
  windowSeconds?: number;
  /** Where the counts live. Default: a `MemoryRateLimitStore` in this process. */
  store?: SigningAuthRateLimitStore;
}

/**
 * Connect sessions: short-lived, tenant-scoped tokens a host hands to its customer's browser so the customer
 * connects their own provider accounts (see the README's "Let your customers connect their own accounts").
 * @publicApi
 */
export interface ConnectSessionOptions {
  /**
   * Origins (`https://app.example.com`, `http://localhost:5173`) a session's `returnUrl` may point to. A
   * `returnUrl` on any other origin is refused (400 naming `returnUrl`): never an open redirect, and the
   * Connect page posts its outcome only to that origin. Default: `[]` (no `returnUrl` accepted).
   */
  returnUrlOrigins?: string[];
  /**
   * The Connect page a session's `connectUrl` opens (`{pageUrl}#session=<token>`) and where an OAuth flow
   * started with a session comes back to (with `tenantId`, `provider`, `status` or `error`, `message`). For
   * hosts that serve their own page. An absolute http(s) URL without a fragment.
   * Default: `{publicUrl}/{routePrefix}/connect/`.
   */
  pageUrl?: string;
  /**
   * Origins allowed to show the Connect page (`connectPage: true`) in an iframe (CSP `frame-ancestors`), e.g.
   * `['https://app.example.com']`. Each must be an origin (scheme, host, optional port); checked at boot.
   * Default: none (`frame-ancestors 'none'`: the page cannot be framed; open it as a page or a popup).
   */
  frameAncestors?: string[];
}

/** Receives lifecycle events when `@nestjs/event-emitter` is not installed (or in addition to it). @publicApi */
export interface SigningAuthObserver {
  onEvent(name: string, payload: Record<string, unknown>): void;
}

/**
 * Outgoing calls through `SigningAuthHttpService` (see the README's "Calling provider APIs").
 * @publicApi
 */
export interface SigningAuthHttpOptions {
  /**
   * Supplies the tenant of a request that names only its provider (`{ signingAuth: { provider } }`), e.g. from
   * an `AsyncLocalStorage` or nestjs-cls request context. Called only for such requests; returning `undefined`
   * fails the request before it leaves the process. Default: none (every request must name its `tenantId`).
   */
  tenantResolver?: () => string | undefined | Promise<string | undefined>;
  /**
   * More places a provider's credentials may be sent, per provider id, on top of what its strategy declares
   * (DocuSign: the account base URI recorded from userinfo; Signicat, DocSpring, Formstack Sign: their API
   * hosts and the configured `hosts` overrides; generic `oauth2`: the connection's `config.apiBaseUrls`).
   * Each entry is an origin (`https://proxy.example.com:8443`) or a bare host name (meaning `https://name`).
   * A signed request to any other origin fails before it is sent. Example: `{ docusign: ['https://docusign-proxy.internal'] }`.
   * Default: none.
   */
  allowedHosts?: Record<string, string[]>;
  /**
   * Allow credentials over plain `http://` to a loopback address (127.0.0.0/8, `::1`, `localhost`).
   * Credentials never go over plain http to any other host. Default: `developmentMode`.
   */
  allowLoopbackHttp?: boolean;
  /**
   * Default timeout of every request through `SigningAuthHttpService`, in milliseconds (axios' `timeout`: the
   * connect phase, then the longest silence between bytes). A request's own `timeout` wins. `0` = none.
   * Default: `30000`.
   */
  timeoutMs?: number;
  /**
   * Default cap on a response body, in bytes (axios' `maxContentLength`), counted after decompression, so a
   * small gzip body that expands past it is cut off there. Buffered and `responseType: 'stream'` answers
   * alike. A request's own `maxContentLength` wins (e.g. for a large document download). Default:
   * `52428800` (50 MiB).
   */
  maxResponseBytes?: number;
  /** Provider rate limits, learnt from the answers to signed calls (see {@link SigningAuthRateLimitOptions}). */
  rateLimit?: SigningAuthRateLimitOptions;
}

/**
 * How signed calls honour the providers' rate limits. The budget (DocuSign's `X-RateLimit-*` and
 * `X-BurstLimit-*`, the IETF `RateLimit-*` / `RateLimit-Policy`, `Retry-After` on a 429/503) is kept per
 * (tenant, provider, account) in each replica's memory, from that replica's own answers.
 * @publicApi
 */
export interface SigningAuthRateLimitOptions {
  /** Refuse (or hold) calls while the budget is known to be spent. `false` only records it. Default: `true`. */
  enabled?: boolean;
  /**
   * `fail`: throw `SigningAuthRateLimitError` (with `retryAt`) at once, nothing sent. `wait`: hold the call
   * until `retryAt` when that is at most `maxWaitMs` away and fewer than `maxWaiting` calls wait already;
   * otherwise fail the same way. Default: `fail`.
   */
  whenSpent?: 'fail' | 'wait';
  /** With `whenSpent: 'wait'`: the longest a call is held. Default: `60000`. */
  maxWaitMs?: number;
  /** With `whenSpent: 'wait'`: most calls held at once in this replica. Default: `100`. */
  maxWaiting?: number;
  /** The `rate_limit.low` event fires when the share of the limit left drops to this or below. Default: `0.1`. */
  lowFraction?: number;
  /** Most budgets kept in memory (one per tenant, provider and account that sent limit headers). Default: `10000`. */
  maxTracked?: number;
}

/**
 * Options of `SigningAuthModule.forRoot()` / `forRootAsync()`.
 * @publicApi
 */
export interface SigningAuthModuleOptions {
  /**
   * AES-256 keys for secrets at rest: a list, or the `id:base64key,id2:base64key2` string form.
   * The first (or `activeKeyId`) encrypts; all of them decrypt. Required.
   */
  encryptionKeys: EncryptionKey[] | string;
  /**
   * The key that encrypts new values. Default: the first of `encryptionKeys`. Pin it to the current key while
   * a rolling deploy adds a new key for decryption only (see docs/reliability.md, "Key rotation").
   */
  activeKeyId?: string;
  /**
   * After start the library counts stored values per key id (in the background: it reads every encrypted
   * column, seconds at a million rows; health details say `keysChecking` meanwhile). A key id that
   * `encryptionKeys` lacks is always one warning (with the counts) and shows in the health details as
   * `missingKeys`; with `true` the count runs before start and the app refuses to start instead
   * (InvalidEncryptionKeysError). Default: `false`.
   */
  requireKeysForStoredValues?: boolean;
  /**
   * The app's external base URL, used to build OAuth callback URLs
   * (`{publicUrl}/{routePrefix}/oauth/{provider}/callback`). Default: `http://localhost:3000`.
   */
  publicUrl?: string;
  /** Host overrides for the built-in strategies. Default: the providers' production hosts. */
  hosts?: ProviderHostOverrides;
  /**
   * Check credentials that need no user (client credentials, DocSpring tokens, DocuSign JWT) with the
   * provider when a connection is saved: refused → `ConnectionVerificationError` (admin API: 422) and
   * nothing stored; provider unreachable → stored as `error`, retried; DocuSign `consent_required` → stored
   * `needs_reauth` with `metadata.consentUrl`. Turn it off for offline setups. Default: `true`.
   */
  verifyOnSave?: boolean;
  /**
   * How long a consent link handed out with a `consent_required` failure (DocuSign JWT: `metadata.consentUrl`,
   * `SigningAuthReauthRequiredError.consentUrl`) stays valid. Each such failure issues a new one.
   * Default: `604800` (7 days).
   */
  consentLinkTtlSeconds?: number;
  /** Unconfirmed provider facts, as settings. Default: DocuSign refresh tokens live 30 days, JWT assertions 1 hour. */
  providerSettings?: ProviderSettings;
  /** Extra strategies (custom providers); one with a built-in id replaces the built-in. Default: `[]`. */
  strategies?: SigningAuthStrategy[];
  /** Refresh timing. */
  refresh?: RefreshOptions;
  /** The scheduled sweep. */
  sweep?: SweepOptions;
  /**
   * Most tokens kept in the in-process cache (LRU), ~1–2 KB each. Size it to the connections one replica
   * serves within an access token's lifetime (docs/scale.md, "Reads"); every miss is a row read and a
   * decrypt. Default: `10000`.
   */
  tokenCacheSize?: number;
  /** Admin REST API settings (mounted only with the `adminApi: true` extra). */
  admin?: AdminApiOptions;
  /**
   * Connect sessions (tenant-scoped links to the Connect page) and the page's framing. Default: no `returnUrl`
   * origins, the library's page, no framing.
   */
  connect?: ConnectSessionOptions;
  /** Receives every lifecycle event. Default: none. */
  observer?: SigningAuthObserver;
  /** Export Prometheus metrics through prom-client's default registry. Default: `false`. */
  metrics?: boolean;
  /** Clock for tests (e.g. simulating 90 days). Default: `() => new Date()`. */
  clock?: () => Date;
  /** Outgoing calls through `SigningAuthHttpService`. Default: no tenant resolver. */
  http?: SigningAuthHttpOptions;
  /**
   * Development mode allows loopback addresses in tenant-supplied URLs (e.g. a generic OAuth 2.0
   * `tokenUrl` on 127.0.0.1: emulators, a local identity provider) and credentials over plain http to
   * loopback. Default: `process.env.NODE_ENV !== 'production'`.
   */
  developmentMode?: boolean;
  /**
   * Allow URLs in a connection's config (generic OAuth 2.0 `tokenUrl`, `authorizationUrl`,
   * `apiBaseUrls`, ...) that resolve to loopback, private (RFC 1918, CGNAT, IPv6 ULA), link-local or
   * multicast addresses: for on-premise identity providers. Cloud metadata and control endpoints
   * (169.254.169.254, 169.254.170.2, 169.254.170.23, Azure WireServer 168.63.129.16, fd00:ec2::254, … — see
   * docs/threat-model.md §2) stay refused. Checked when the connection is saved and again on the
   * address each connection is made to. Default: `false` (loopback alone is allowed in development mode).
   */
  allowPrivateNetworks?: boolean;
}

/**
 * Settings that decide the module's shape; they must be known synchronously, also with `forRootAsync()`.
 * @publicApi
 */
export interface SigningAuthModuleExtras {
  /** Register the module globally. Default: `true`. */
  isGlobal?: boolean;
  /** Mount the admin REST API controllers. Default: `false`. */
  adminApi?: boolean;
  /**
   * Serve the Connect page at `/{routePrefix}/connect/` from the package (static files, strict CSP). It is a
   * client of the admin API, so it needs `adminApi: true`. With it, the OAuth callback sends the browser back
   * to the page unless `admin.successRedirectUrl` / `failureRedirectUrl` say otherwise. Default: `false`.
   */
  connectPage?: boolean;
  /** Route prefix of the admin API and OAuth callbacks. Default: `signing-auth`. */
  routePrefix?: string;
  /** Name of the TypeORM data source the library uses. Default: the default data source. */
  dataSourceName?: string;
}
