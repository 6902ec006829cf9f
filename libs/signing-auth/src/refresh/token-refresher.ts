import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { deadline } from '../common/deadline.js';
import { leaseMarginMs, RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionCipher, type DecryptedConnection } from '../connections/connection-cipher.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent, type RefreshTrigger } from '../events/signing-auth.events.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import { ProviderFailure } from '../providers/provider.errors.js';
import type { SigningAuthStrategy, TokenGrant } from '../providers/strategy.interface.js';
import { SigningAuthRefreshError, type SigningAuthUnprocessableConnectionError } from './refresh.errors.js';
import { assertServable } from './connection-state.js';
import { boundedGrant } from '../providers/shared/grant-bounds.js';
import { GrantWriteBack } from './grant-write-back.js';
import { RefreshFailureHandler } from './refresh-failure.handler.js';
import { RefreshLeaseRepository } from './refresh-lease.repository.js';
import { isUsable, nextScheduledRefresh, toDate } from './refresh-policy.js';
import { TokenChangeNotifier } from './token-change.notifier.js';
import type { RefreshOutcome, RefreshRequest } from './refresh-request.js';
import { openConnection, strategyOf, toUnprocessable } from './unprocessable-connection.js';
import { awaitsVerification } from '../verification/unverified-connection.js';

export type { RefreshOutcome, RefreshRequest } from './refresh-request.js';

/** Check the recorded account again at most this often (DocuSign rate-limits userinfo per user and key). */
const ACCOUNT_RECHECK_MS = 86_400_000;

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
  /** The module clock, as strategies are handed it (made once, not per call). */
  private readonly now = (): Date => this.options.clock();

  constructor(
    private readonly leases: RefreshLeaseRepository,
    private readonly cipher: ConnectionCipher,
    private readonly strategies: StrategyRegistry,
    private readonly events: SigningAuthEventBus,
    private readonly notifier: TokenChangeNotifier,
    private readonly failures: RefreshFailureHandler,
    private readonly writeBack: GrantWriteBack,
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
      // A grant this process received but could not write yet is the only valid one: never refresh past it.
      const parked = await this.writeBack.retryNow(tenantId, provider);
      if (parked) return this.serveParked(parked, request, now);
      const claimed = await this.leases.claim(tenantId, provider, this.owner, leaseMs);
      if (claimed) {
        const outcome = await this.runLeased(claimed, request);
        if (outcome) return outcome;
        continue; // fenced out while we held it: look again
      }
      const row = await this.leases.findOne(tenantId, provider);
      assertServable(row, tenantId, provider, request.allowReauth, (r) => this.cipher.consentUrlOf(r));
      const connection = openConnection(this.cipher, row);
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
   * Works on a row whose lease this replica holds (claimed by {@link ensure} or by the sweep). Gives the
   * lease back on every path: the statement that records the outcome (grant, failure, poison mark) ends it,
   * and `finally` releases it when no such statement ran. Returns null when the lease was lost before the
   * write (fenced out).
   */
  async runLeased(row: ConnectionEntity, request: RefreshRequest): Promise<RefreshOutcome | null> {
    const { tenantId, provider } = request;
    const now = this.options.clock();
    const lease = { held: true };
    try {
      const parked = await this.writeBack.retryNow(tenantId, provider);
      if (parked) {
        lease.held = false; // the parked grant's write-back keeps this lease until it is written
        return this.serveParked(parked, request, now);
      }
      assertServable(row, tenantId, provider, request.allowReauth, (r) => this.cipher.consentUrlOf(r));
      let connection: DecryptedConnection;
      let strategy: SigningAuthStrategy;
      try {
        connection = openConnection(this.cipher, row);
        strategy = strategyOf(this.strategies, row);
      } catch (error) {
        const poison = toUnprocessable(error, tenantId, provider);
        if (!poison) throw error;
        return await this.failures.unprocessable(row, poison, request.trigger, this.owner, lease);
      }
      if (request.satisfied(row, connection, now)) {
        await this.leases.release(row, this.owner, this.reschedule(row, now));
        lease.held = false;
        return { row, connection, refreshed: false };
      }
      const retryAt = toDate(row.nextRefreshAt);
      if (!request.ignoreBackoff && row.status === 'error' && retryAt && retryAt > now) {
        if (request.acceptStale && isUsable(row, now)) return { row, connection, refreshed: false };
        throw new SigningAuthRefreshError(tenantId, provider, row.lastError ?? 'retrying later', retryAt);
      }
      if (!(await this.leaseCoversCall(row))) return null;
      const started = Date.now();
      let grant: TokenGrant;
      const timeout = deadline(this.options.refresh.providerTimeoutMs);
      try {
        const context = { signal: timeout.signal, now: this.now };
        // Credentials the provider never accepted are checked, never "refreshed": a local refresh
        // (DocSpring) would make them active unseen (unverified-connection.ts).
        grant = awaitsVerification(row.metadata, strategy)
          ? await strategy.verify!(connection, context)
          : await strategy.refresh(connection, context);
      } catch (error) {
        request.onProviderDone?.();
        const failed = { row, connection, strategy, error, request, owner: this.owner, started };
        return await this.failures.handle(failed, lease);
      } finally {
        timeout.clear();
      }
      grant = await this.withConnectMetadata(row, strategy, connection, grant);
      request.onProviderDone?.();
      return await this.store(row, connection, strategy, grant, request, started, lease);
    } finally {
      if (lease.held) await this.leases.release(row, this.owner).catch(() => undefined);
    }
  }

  /**
   * Writes the provider's grant back through {@link GrantWriteBack}: retried while the lease is held, parked
   * in memory and served when the database keeps failing. The grant is bounded first (grant-bounds.ts), so
   * no odd field of a provider's answer can make the write fail.
   */
  private async store(
    row: ConnectionEntity,
    connection: DecryptedConnection,
    strategy: SigningAuthStrategy,
    received: TokenGrant,
    request: RefreshRequest,
    started: number,
    lease: { held: boolean },
  ): Promise<RefreshOutcome | null> {
    const now = this.options.clock();
    const grant = boundedGrant(received, now);
    const updated = applyGrant(
      row,
      grant,
      now,
      request.trigger === 'on_demand' || request.trigger === 'forced',
    );
    const nextRefreshAt = nextScheduledRefresh(this.options, updated, now);
    updated.nextRefreshAt = nextRefreshAt;
    const refreshToken =
      typeof grant.refreshToken === 'string' ? grant.refreshToken : connection.refreshToken;
    const outcome: RefreshOutcome = {
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
    const write = {
      now,
      nextRefreshAt,
      markUsed: updated.lastUsedAt === now,
      refreshTokenIssuedAt: updated.refreshTokenIssuedAt,
    };
    const result = await this.writeBack.store(row, this.owner, grant, write, outcome);
    // Stored: the statement ended the lease. Deferred: the write-back keeps it until the grant is written.
    lease.held = false;
    if (result.kind === 'fenced') {
      this.logger.warn(
        `Lost the refresh lease of the ${strategy.id} connection of tenant "${row.tenantId}" before writing back; result discarded`,
      );
      return null;
    }
    if (result.kind === 'stored') {
      updated.version = result.version;
      this.notifier.publishLocal(row.tenantId, row.provider, result.version);
    }
    this.events.emit(SigningAuthEvent.TokenRefreshed, {
      tenantId: row.tenantId,
      provider: row.provider,
      trigger: request.trigger,
      durationMs: Date.now() - started,
      accessTokenExpiresAt: grant.expiresAt ? grant.expiresAt.toISOString() : null,
    });
    return outcome;
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
    if (!(await this.leaseCoversCall(row))) return pending;
    const timeout = deadline(this.options.refresh.providerTimeoutMs);
    try {
      const fetched = await strategy.afterConnect(connection, grant, {
        signal: timeout.signal,
        now: this.now,
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
    } finally {
      timeout.clear();
    }
  }

  /** The grant parked in memory while its write-back is retried, if it still serves `request`. */
  parkedOutcome(tenantId: string, provider: string): RefreshOutcome | undefined {
    return this.writeBack.parkedOutcome(tenantId, provider);
  }

  private serveParked(parked: RefreshOutcome, request: RefreshRequest, now: Date): RefreshOutcome {
    if (request.satisfied(parked.row, parked.connection, now)) return { ...parked, refreshed: false };
    throw new SigningAuthRefreshError(
      request.tenantId,
      request.provider,
      'a refreshed grant is waiting to be written to the database (retrying)',
      null,
    );
  }

  /**
   * An on-demand caller found a row it cannot read: mark it (unless a lease holder is on it) and throw
   * the typed error naming tenant, provider and key id.
   */
  async markUnprocessable(
    row: ConnectionEntity,
    poison: SigningAuthUnprocessableConnectionError,
    trigger: RefreshTrigger,
  ): Promise<never> {
    return this.failures.unprocessable(row, poison, trigger, null);
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

  /**
   * Right before a provider call: the lease must outlast the call's timeout by at least half the configured
   * margin, counted on this process's monotonic clock from what the database granted (a row claimed in a
   * sweep batch may have waited its turn). Otherwise extend it on the database clock; false when it was lost.
   */
  private async leaseCoversCall(row: ConnectionEntity): Promise<boolean> {
    const { providerTimeoutMs, leaseSeconds } = this.options.refresh;
    const needed = providerTimeoutMs + leaseMarginMs(this.options.refresh) / 2;
    if (this.leases.leaseLeftMs(row) >= needed) return true;
    return this.leases.extend(row, this.owner, leaseSeconds * 1000);
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
 * A consent URL recorded by a `consent_required` failure is stale once a token was obtained, and so is
 * the "unverified" mark (the provider just said yes); the "account pending" mark is set again by this
 * refresh's post-connect step if it is still missing.
 */
function withoutConsentUrl(metadata: Record<string, unknown>): Record<string, unknown> {
  const { consentUrl: _stale, accountPending: _pending, unverified: _checked, ...rest } = metadata;
  return rest;
}

function key(tenantId: string, provider: string): string {
  return `${provider}\n${tenantId}`;
}
