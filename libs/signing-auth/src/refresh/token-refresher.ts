import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionCipher, type DecryptedConnection } from '../connections/connection-cipher.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent, type RefreshTrigger } from '../events/signing-auth.events.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import { ProviderFailure } from '../providers/provider.errors.js';
import type { SigningAuthStrategy, TokenGrant } from '../providers/strategy.interface.js';
import { SigningAuthRefreshError } from '../tokens/token.errors.js';
import { assertServable } from './connection-state.js';
import { RefreshFailureHandler } from './refresh-failure.handler.js';
import { RefreshLeaseRepository } from './refresh-lease.repository.js';
import { isUsable, nextScheduledRefresh, toDate } from './refresh-policy.js';
import { TokenChangeNotifier } from './token-change.notifier.js';

/** What a caller needs from a refresh. @internal */
export interface RefreshRequest {
  tenantId: string;
  provider: string;
  trigger: RefreshTrigger;
  /** True when the stored grant already serves the caller: then the provider is not called. */
  satisfied(row: ConnectionEntity, connection: DecryptedConnection, now: Date): boolean;
  /** When a refresh cannot happen now (backoff, transient failure), hand out a still-valid old token. */
  acceptStale: boolean;
  /** Refresh even while a transient failure's backoff runs (admin "refresh now", the sweep). */
  ignoreBackoff?: boolean;
  /** Try a `needs_reauth` connection again (admin "refresh now" after fixing consent). */
  allowReauth?: boolean;
}

/** @internal */
export interface RefreshOutcome {
  row: ConnectionEntity;
  connection: DecryptedConnection;
  refreshed: boolean;
}

/** Check the recorded account again at most this often (DocuSign rate-limits userinfo per user and key). */
const ACCOUNT_RECHECK_MS = 86_400_000;

/** Extend a lease before the provider call unless at least this much more than the call's timeout is left. */
const LEASE_MARGIN_MS = 2_000;

/**
 * Refreshes one connection exactly once across replicas: claim the lease in one statement, re-read, skip
 * the call when someone else already refreshed, call the provider outside any transaction with a timeout
 * shorter than the lease, write back fenced by lease owner and version. A caller that finds the lease held
 * waits for the holder (woken by the change notification, polling as a fallback).
 * @internal
 */
@Injectable()
export class TokenRefresher {
  private readonly logger = new Logger(TokenRefresher.name);
  /** This replica's name in `lease_owner`. */
  readonly owner = `${hostname().slice(0, 60)}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly leases: RefreshLeaseRepository,
    private readonly cipher: ConnectionCipher,
    private readonly strategies: StrategyRegistry,
    private readonly events: SigningAuthEventBus,
    private readonly notifier: TokenChangeNotifier,
    private readonly failures: RefreshFailureHandler,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {
    notifier.subscribe((tenantId, provider) => this.wake(key(tenantId, provider)));
  }

  /** Returns a grant that satisfies `request`, refreshing it under the lease when needed. */
  async ensure(request: RefreshRequest): Promise<RefreshOutcome> {
    const { tenantId, provider } = request;
    const leaseMs = this.options.refresh.leaseSeconds * 1000;
    const giveUpAt = Date.now() + leaseMs + this.options.refresh.providerTimeoutMs + 5_000;
    let pollMs = 20;
    for (;;) {
      const now = this.options.clock();
      const claimed = await this.leases.claim(tenantId, provider, this.owner, now, leaseMs);
      if (claimed) {
        const outcome = await this.runLeased(claimed, request);
        if (outcome) return outcome;
        continue; // fenced out while we held it: look again
      }
      const row = await this.leases.findOne(tenantId, provider);
      assertServable(row, tenantId, provider, request.allowReauth);
      const connection = this.cipher.decryptRow(row);
      if (request.satisfied(row, connection, now)) return { row, connection, refreshed: false };
      if (Date.now() > giveUpAt) {
        throw new SigningAuthRefreshError(
          tenantId,
          provider,
          'another replica holds the refresh lease and has not finished',
          toDate(row.leaseExpiresAt),
        );
      }
      await this.waitForChange(key(tenantId, provider), pollMs);
      pollMs = Math.min(pollMs * 2, 250);
    }
  }

  /**
   * Works on a row whose lease this replica holds (claimed by {@link ensure} or by the sweep). Always
   * gives the lease back. Returns null when the lease was lost before the write (fenced out).
   */
  async runLeased(row: ConnectionEntity, request: RefreshRequest): Promise<RefreshOutcome | null> {
    const { tenantId, provider } = request;
    const now = this.options.clock();
    let settled = false;
    try {
      assertServable(row, tenantId, provider, request.allowReauth);
      const connection = this.cipher.decryptRow(row);
      if (request.satisfied(row, connection, now)) {
        settled = true;
        await this.leases.release(row, this.owner, this.reschedule(row, now));
        return { row, connection, refreshed: false };
      }
      const retryAt = toDate(row.nextRefreshAt);
      if (!request.ignoreBackoff && row.status === 'error' && retryAt && retryAt > now) {
        settled = true;
        await this.leases.release(row, this.owner);
        if (request.acceptStale && isUsable(row, now)) return { row, connection, refreshed: false };
        throw new SigningAuthRefreshError(tenantId, provider, row.lastError ?? 'retrying later', retryAt);
      }
      if (!(await this.leaseCoversCall(row, now))) {
        settled = true;
        return null;
      }
      const strategy = this.strategies.get(provider);
      const started = Date.now();
      let grant: TokenGrant;
      try {
        grant = await strategy.refresh(connection, {
          signal: AbortSignal.timeout(this.options.refresh.providerTimeoutMs),
          now: () => this.options.clock(),
        });
      } catch (error) {
        settled = true;
        return await this.failures.handle({
          row,
          connection,
          strategy,
          error,
          request,
          owner: this.owner,
          started,
        });
      }
      grant = await this.withConnectMetadata(row, strategy, connection, grant);
      settled = true;
      return await this.store(row, connection, strategy, grant, request, started);
    } finally {
      if (!settled) await this.leases.release(row, this.owner).catch(() => undefined);
    }
  }

  private async store(
    row: ConnectionEntity,
    connection: DecryptedConnection,
    strategy: SigningAuthStrategy,
    grant: TokenGrant,
    request: RefreshRequest,
    started: number,
  ): Promise<RefreshOutcome | null> {
    const now = this.options.clock();
    const updated = applyGrant(
      row,
      grant,
      now,
      request.trigger === 'on_demand' || request.trigger === 'forced',
    );
    const nextRefreshAt = nextScheduledRefresh(this.options, updated, now);
    const version = await this.leases.storeRefreshed(row, this.owner, grant, {
      now,
      nextRefreshAt,
      markUsed: updated.lastUsedAt === now,
      refreshTokenIssuedAt: updated.refreshTokenIssuedAt,
    });
    if (version === null) {
      this.logger.warn(
        `Lost the refresh lease of the ${strategy.id} connection of tenant "${row.tenantId}" before writing back; result discarded`,
      );
      return null;
    }
    updated.version = version;
    updated.nextRefreshAt = nextRefreshAt;
    this.notifier.publishLocal(row.tenantId, row.provider, version);
    this.events.emit(SigningAuthEvent.TokenRefreshed, {
      tenantId: row.tenantId,
      provider: row.provider,
      trigger: request.trigger,
      durationMs: Date.now() - started,
      accessTokenExpiresAt: grant.expiresAt ? grant.expiresAt.toISOString() : null,
    });
    const refreshToken =
      typeof grant.refreshToken === 'string' ? grant.refreshToken : connection.refreshToken;
    return {
      row: updated,
      connection: {
        ...connection,
        row: updated,
        accessToken: grant.accessToken,
        refreshToken: grant.refreshToken === null ? null : refreshToken,
        metadata: updated.metadata,
      },
      refreshed: true,
    };
  }

  /**
   * The provider's post-connect step (DocuSign userinfo → accountId, baseUri) after a fresh token, when
   * the account is not recorded yet (JWT and client-credentials connections never pass through the
   * connect flow; a connect whose userinfo failed left `accountPending`) or was last checked a day ago or
   * more (an account moved to another base URI is followed). A failure there never wastes the token: it
   * is logged, and a missing account stays marked `accountPending` so the sweep tries again soon.
   */
  private async withConnectMetadata(
    row: ConnectionEntity,
    strategy: SigningAuthStrategy,
    connection: DecryptedConnection,
    grant: TokenGrant,
  ): Promise<TokenGrant> {
    const metadata = connection.metadata ?? {};
    const now = this.options.clock();
    const known = typeof metadata.connectedAt === 'string';
    const checkedAt = Date.parse(String(metadata.accountCheckedAt ?? metadata.connectedAt ?? ''));
    // First time: connections that skip the connect flow, or a connect whose post-connect step failed.
    const first = !known && (metadata.accountPending === true || !strategy.usesAuthorizationCode(connection));
    const recheck = known && !(now.getTime() - checkedAt < ACCOUNT_RECHECK_MS);
    if (!strategy.afterConnect || !(first || recheck)) return grant;
    const pending = known
      ? grant
      : { ...grant, metadata: { ...(grant.metadata ?? {}), accountPending: true } };
    // A second provider call under the same lease: make sure the lease still covers it.
    if (!(await this.leaseCoversCall(row, now))) return pending;
    try {
      const fetched = await strategy.afterConnect(connection, grant, {
        signal: AbortSignal.timeout(this.options.refresh.providerTimeoutMs),
        now: () => this.options.clock(),
      });
      const at = this.options.clock().toISOString();
      const connectedAt = known ? metadata.connectedAt : at;
      return {
        ...grant,
        metadata: { ...(grant.metadata ?? {}), ...fetched, connectedAt, accountCheckedAt: at },
      };
    } catch (error) {
      this.logger.warn(
        `Post-connect step of the ${strategy.id} connection of tenant "${connection.tenantId}" failed: ` +
          `${error instanceof ProviderFailure ? error.message : ((error as Error)?.name ?? 'unknown error')}; ` +
          (known ? 'keeping the recorded account' : 'will retry soon'),
      );
      return pending;
    }
  }

  /**
   * Schedules a connection whose grant the connect flow just stored (refresh-token renewal, or keeping
   * the access token warm), and tells the other replicas its token changed.
   */
  async scheduleConnected(row: ConnectionEntity): Promise<Date | null> {
    const next = nextScheduledRefresh(this.options, row, this.options.clock());
    await this.leases.schedule(row, next);
    await this.notifier.announce(row.tenantId, row.provider, row.version);
    return next;
  }

  /** Active rows get a schedule recomputed from their state; an `error` row keeps its backoff. */
  private reschedule(row: ConnectionEntity, now: Date): Date | null | undefined {
    return row.status === 'active' ? nextScheduledRefresh(this.options, row, now) : undefined;
  }

  /** A row claimed in a sweep batch may have waited its turn: make sure the call cannot outlive the lease. */
  private async leaseCoversCall(row: ConnectionEntity, now: Date): Promise<boolean> {
    const leaseEnds = toDate(row.leaseExpiresAt)?.getTime() ?? 0;
    if (leaseEnds - now.getTime() >= this.options.refresh.providerTimeoutMs + LEASE_MARGIN_MS) return true;
    return this.leases.extend(row, this.owner, now, this.options.refresh.leaseSeconds * 1000);
  }

  private waitForChange(k: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(k);
      if (!set) this.waiters.set(k, (set = new Set()));
      const done = (): void => {
        clearTimeout(timer);
        set!.delete(done);
        if (set!.size === 0 && this.waiters.get(k) === set) this.waiters.delete(k);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  private wake(k: string): void {
    for (const done of [...(this.waiters.get(k) ?? [])]) done();
  }
}

/** The row as it will be after writing `grant` (for the schedule and for callers), without a re-read. */
function applyGrant(row: ConnectionEntity, grant: TokenGrant, now: Date, used: boolean): ConnectionEntity {
  const oldExpiry = toDate(row.refreshTokenExpiresAt);
  const newExpiry =
    grant.refreshToken === null
      ? null
      : grant.refreshTokenExpiresAt === undefined
        ? oldExpiry
        : grant.refreshTokenExpiresAt;
  // Renewal is scheduled only for a refresh token whose lifetime this refresh (re)started.
  const extended =
    grant.refreshToken !== null &&
    newExpiry !== null &&
    (oldExpiry === null || newExpiry.getTime() > oldExpiry.getTime()) &&
    (typeof grant.refreshToken === 'string' || grant.refreshTokenExpiresAt instanceof Date);
  // The ciphertext columns of this copy are stale placeholders: only whether they are set matters here.
  const refreshTokenCiphertext =
    grant.refreshToken === null
      ? null
      : typeof grant.refreshToken === 'string'
        ? (row.refreshTokenCiphertext ?? 'written')
        : row.refreshTokenCiphertext;
  return Object.assign(Object.create(Object.getPrototypeOf(row)) as ConnectionEntity, row, {
    status: 'active',
    accessTokenCiphertext: row.accessTokenCiphertext ?? 'written',
    tokenType: grant.tokenType,
    accessTokenExpiresAt: grant.expiresAt,
    refreshTokenCiphertext,
    refreshTokenExpiresAt: newExpiry,
    refreshTokenIssuedAt: extended ? now : null,
    lastRefreshedAt: now,
    lastUsedAt: used ? now : row.lastUsedAt,
    failureCount: 0,
    lastError: null,
    scopes: grant.scopes && grant.scopes.length > 0 ? grant.scopes : row.scopes,
    metadata: { ...withoutConsentUrl(row.metadata ?? {}), ...(grant.metadata ?? {}) },
    leaseOwner: null,
    leaseExpiresAt: null,
  } satisfies Partial<ConnectionEntity>);
}

/**
 * A consent URL recorded by a `consent_required` failure is stale once a token was obtained; the
 * "account pending" mark is set again by this refresh's post-connect step if it is still missing.
 */
function withoutConsentUrl(metadata: Record<string, unknown>): Record<string, unknown> {
  const { consentUrl: _stale, accountPending: _pending, ...rest } = metadata;
  return rest;
}

function key(tenantId: string, provider: string): string {
  return `${provider}\n${tenantId}`;
}
