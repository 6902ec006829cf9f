import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionCipher, type DecryptedConnection } from '../connections/connection-cipher.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import { publicMetadata, toConnectionView, type ConnectionView } from '../connections/connection-view.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import type { RefreshTrigger } from '../events/signing-auth.events.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import { assertServable } from '../refresh/connection-state.js';
import { RefreshLeaseRepository } from '../refresh/refresh-lease.repository.js';
import { accessTokenDueAt, isFresh, toDate } from '../refresh/refresh-policy.js';
import { TokenChangeNotifier } from '../refresh/token-change.notifier.js';
import type { RefreshRequest } from '../refresh/refresh-request.js';
import { TokenRefresher } from '../refresh/token-refresher.js';
import { openConnection, toUnprocessable } from '../refresh/unprocessable-connection.js';
import type { AccessToken } from './access-token.js';
import { cacheKey, TokenCache, type CachedToken } from './token-cache.js';
import { SigningAuthReauthRequiredError, SigningAuthRefreshError } from '../refresh/refresh.errors.js';
import { holdsRefusedGrant } from '../refresh/refused-grant.js';
import { UsageRecorder } from './usage-recorder.js';

/** An access token plus its connection's non-secret config, for the HTTP layer. @internal */
type SigningToken = AccessToken & { config: Record<string, unknown> };

/**
 * Always-valid access tokens, per tenant and provider.
 *
 * A token is served from an in-process cache (no database round trip) until `expiresAt - leeway`; past
 * that the first caller refreshes and every concurrent caller in the process shares that refresh
 * (single-flight), while a lease on the connection row makes the refresh happen once across replicas.
 * @publicApi
 */
@Injectable()
export class TokenService {
  private readonly flights = new Map<string, Promise<CachedToken>>();
  private readonly signingViews = new WeakMap<CachedToken, SigningToken>();

  constructor(
    private readonly refresher: TokenRefresher,
    private readonly cache: TokenCache,
    private readonly usage: UsageRecorder,
    private readonly leases: RefreshLeaseRepository,
    private readonly strategies: StrategyRegistry,
    private readonly cipher: ConnectionCipher,
    private readonly events: SigningAuthEventBus,
    notifier: TokenChangeNotifier,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {
    notifier.subscribe((tenantId, provider, version) =>
      this.cache.invalidate(cacheKey(tenantId, provider), version),
    );
    notifier.onReset(() => this.cache.clear());
  }

  /**
   * A valid access token for the tenant's connection to `provider`.
   * @throws ConnectionNotFoundError, SigningAuthConnectionPendingError, SigningAuthConnectionDisabledError,
   *   SigningAuthReauthRequiredError, SigningAuthRefreshError (transient failure and no valid token left),
   *   SigningAuthUnprocessableConnectionError (stored data this app cannot read: key id not in the keyring)
   */
  async getAccessToken(tenantId: string, provider: string): Promise<AccessToken> {
    return { ...(await this.servedEntry(tenantId, provider)).token };
  }

  /**
   * {@link getAccessToken} plus the connection's non-secret config, for the HTTP layer's host binding
   * (which must not cost a database read per request).
   * @internal
   */
  async signingToken(tenantId: string, provider: string): Promise<SigningToken> {
    return this.signingView(await this.servedEntry(tenantId, provider));
  }

  /**
   * {@link signingToken} when the token is cached and servable, without waiting; `undefined` (no use
   * recorded, no hit or miss counted) when it must be loaded.
   * @internal
   */
  cachedSigningToken(tenantId: string, provider: string): SigningToken | undefined {
    const key = cacheKey(tenantId, provider);
    const entry = this.cache.peek(key);
    const now = this.options.clock().getTime(); // read once for the three checks below
    if (!entry || entry.refreshAt <= now) return undefined;
    this.usage.record(key, tenantId, provider, now);
    const hit = this.cachedEntry(key, tenantId, provider, now);
    return hit && this.signingView(hit);
  }

  /**
   * One object per cache entry (so per token and connection version): the HTTP layer keeps what it derives
   * from it (parsed origins, the header) with it instead of redoing that per request. Internal callers
   * only read it.
   */
  private signingView(entry: CachedToken): SigningToken {
    let view = this.signingViews.get(entry);
    if (!view) {
      view = { ...entry.token, config: entry.config };
      this.signingViews.set(entry, view);
    }
    return view;
  }

  private cachedEntry(
    key: string,
    tenantId: string,
    provider: string,
    now?: number,
  ): CachedToken | undefined {
    const hit = this.cache.get(key, now);
    if (hit) this.events.emitInternal('token.cache_hit', { tenantId, provider });
    return hit;
  }

  private async servedEntry(tenantId: string, provider: string): Promise<CachedToken> {
    const key = cacheKey(tenantId, provider);
    this.usage.record(key, tenantId, provider);
    const hit = this.cachedEntry(key, tenantId, provider);
    if (hit) return hit;
    const entry = await this.flight(key, () => this.load(tenantId, provider, 'on_demand'));
    // Counted only once the provider id proved real: a metrics label must not take any caller's string.
    this.events.emitInternal('token.cache_miss', { tenantId, provider });
    return entry;
  }

  /** The `Authorization` header value for the tenant's connection (e.g. `Bearer eyJ...`). Never log it. */
  async getAuthorizationHeader(tenantId: string, provider: string): Promise<string> {
    const token = await this.getAccessToken(tenantId, provider);
    return this.strategies.get(provider).authorizationHeader(token);
  }

  /**
   * The provider refused `rejectedAccessToken` (HTTP 401): get a new token, refreshing only if the stored
   * one is still that rejected token. Concurrent callers in this process and in other replicas share one
   * refresh, so 50 requests that all got a 401 cause a single provider call.
   */
  async forceRefresh(
    tenantId: string,
    provider: string,
    options: { rejectedAccessToken: string },
  ): Promise<AccessToken> {
    return { ...(await this.forcedEntry(tenantId, provider, options)).token };
  }

  /** {@link forceRefresh} plus the connection's non-secret config (see {@link signingToken}). @internal */
  async forceSigningRefresh(
    tenantId: string,
    provider: string,
    options: { rejectedAccessToken: string },
  ): Promise<SigningToken> {
    return this.signingView(await this.forcedEntry(tenantId, provider, options));
  }

  private async forcedEntry(
    tenantId: string,
    provider: string,
    { rejectedAccessToken }: { rejectedAccessToken: string },
  ): Promise<CachedToken> {
    const key = cacheKey(tenantId, provider);
    const cached = this.cache.peek(key);
    if (cached && cached.token.accessToken !== rejectedAccessToken && this.cache.get(key)) {
      return cached;
    }
    if (cached?.token.accessToken === rejectedAccessToken) this.cache.invalidate(key);
    const inFlight = this.flights.get(key);
    if (inFlight) {
      const shared = await inFlight;
      if (shared.token.accessToken !== rejectedAccessToken) return shared;
    }
    const entry = await this.flight(key, () => this.load(tenantId, provider, 'forced', rejectedAccessToken));
    if (entry.token.accessToken === rejectedAccessToken) {
      throw new SigningAuthRefreshError(tenantId, provider, 'no token other than the rejected one', null);
    }
    return entry;
  }

  /**
   * Refreshes now, whatever the token's age or backoff (the admin API's "refresh now"); a `needs_reauth`
   * connection is tried again too (e.g. after an admin granted consent). Returns the updated view.
   * @throws as {@link getAccessToken}
   */
  async refreshNow(tenantId: string, provider: string): Promise<ConnectionView> {
    const key = cacheKey(tenantId, provider);
    const before = await this.leases.findOne(tenantId, provider);
    assertServable(before, tenantId, provider, true);
    if (holdsRefusedGrant(before)) {
      // Re-sending a refresh token the provider declared dead cannot help, and some providers treat the
      // reuse as an attack. Grants without one (JWT, client credentials) are tried again: consent or the
      // client's settings may have been fixed at the provider.
      throw new SigningAuthReauthRequiredError(
        tenantId,
        provider,
        `${before.lastError ?? 'the provider refused the grant'}. The refresh token the provider refused is ` +
          'not sent again: authorize the connection again (POST .../authorize)',
      );
    }
    const minVersion = before.version + 1;
    const outcome = await this.refresher.ensure({
      tenantId,
      provider,
      trigger: 'forced',
      satisfied: (row, _c, now) =>
        row.version >= minVersion && row.status === 'active' && isFresh(this.options, row, now),
      acceptStale: false,
      ignoreBackoff: true,
      allowReauth: true,
    });
    this.cache.invalidate(key);
    this.cache.set(key, this.toEntry(outcome.row, outcome.connection));
    return toConnectionView((await this.leases.findOne(tenantId, provider)) ?? outcome.row);
  }

  private async flight(key: string, load: () => Promise<CachedToken>): Promise<CachedToken> {
    let flight = this.flights.get(key);
    if (!flight) {
      flight = load().finally(() => this.flights.delete(key));
      this.flights.set(key, flight);
    }
    return flight;
  }

  private async load(
    tenantId: string,
    provider: string,
    trigger: RefreshTrigger,
    rejected?: string,
  ): Promise<CachedToken> {
    const key = cacheKey(tenantId, provider);
    const serves = (row: ConnectionEntity, connection: DecryptedConnection, now: Date): boolean =>
      isFresh(this.options, row, now) && (rejected === undefined || connection.accessToken !== rejected);
    const request: RefreshRequest = {
      tenantId,
      provider,
      trigger,
      satisfied: serves,
      acceptStale: !rejected,
    };
    const generation = this.cache.generation;
    const now = this.options.clock();
    // A grant refreshed here but not written yet (database failing) is served from memory, without a read.
    const parked = this.refresher.parkedOutcome(tenantId, provider);
    if (parked && serves(parked.row, parked.connection, now)) {
      const entry = this.toEntry(parked.row, parked.connection);
      this.cache.set(key, entry, generation);
      return entry;
    }
    // A plain read first: after a restart or an eviction the stored token is usually still good.
    const row = await this.leases.findOne(tenantId, provider);
    assertServable(row, tenantId, provider, false, (r) => this.cipher.consentUrlOf(r));
    const { connection, row: current } = await (async () => {
      let stored: DecryptedConnection;
      try {
        stored = openConnection(this.cipher, row);
      } catch (error) {
        const poison = toUnprocessable(error, tenantId, provider);
        if (!poison) throw error;
        return this.refresher.markUnprocessable(row, poison, trigger);
      }
      if (serves(row, stored, now)) return { connection: stored, row };
      return this.refresher.ensure(request);
    })();
    const entry = this.toEntry(current, connection);
    this.cache.set(key, entry, generation);
    return entry;
  }

  private toEntry(row: ConnectionEntity, connection: DecryptedConnection): CachedToken {
    const expiresAt = toDate(row.accessTokenExpiresAt);
    const due = accessTokenDueAt(this.options, row);
    // A stale token handed out during a backoff is cached only until the next attempt or its expiry.
    let refreshAt = due ? due.getTime() : Number.MAX_SAFE_INTEGER;
    if (row.status === 'error') {
      const retryAt = toDate(row.nextRefreshAt)?.getTime() ?? 0;
      refreshAt = Math.max(refreshAt, Math.min(retryAt, expiresAt?.getTime() ?? retryAt));
    }
    return {
      version: row.version,
      refreshAt,
      config: { ...(connection.config ?? {}) },
      token: {
        accessToken: connection.accessToken as string,
        tokenType: row.tokenType ?? 'Bearer',
        expiresAt,
        metadata: { ...publicMetadata(row.metadata) },
      },
    };
  }
}
