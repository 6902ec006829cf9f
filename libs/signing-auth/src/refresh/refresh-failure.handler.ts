import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuthorizationLinkService } from '../authorization/authorization-link.service.js';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionCipher, type DecryptedConnection } from '../connections/connection-cipher.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent } from '../events/signing-auth.events.js';
import { ProviderFailure } from '../providers/provider.errors.js';
import type { SigningAuthStrategy } from '../providers/strategy.interface.js';
import {
  SigningAuthReauthRequiredError,
  SigningAuthRefreshError,
  type SigningAuthUnprocessableConnectionError,
} from './refresh.errors.js';
import { RefreshLeaseRepository } from './refresh-lease.repository.js';
import { backoffMs, isUsable, toDate } from './refresh-policy.js';
import type { RefreshOutcome, RefreshRequest } from './refresh-request.js';
import { TokenChangeNotifier } from './token-change.notifier.js';
import { refusedGrantMark } from './refused-grant.js';
import { UNPROCESSABLE_PREFIX } from './unprocessable-connection.js';

/** Everything about one failed provider call. @internal */
export interface FailedRefresh {
  row: ConnectionEntity;
  connection: DecryptedConnection;
  strategy: SigningAuthStrategy;
  error: unknown;
  request: RefreshRequest;
  owner: string;
  started: number;
}

/**
 * Records a failed refresh and decides what the caller gets:
 * - `needs_reauth`: status needs_reauth, retries stop (next_refresh_at NULL), the last good data stays,
 *   the consent URL goes into metadata; the caller gets {@link SigningAuthReauthRequiredError}.
 * - transient: failure_count + 1, next_refresh_at = now + backoff (exponential, full jitter, capped,
 *   honouring Retry-After), status `error`; the caller gets the old token while it is still valid, else
 *   {@link SigningAuthRefreshError} with the retry time.
 * The stored refresh token is never touched by a failure.
 * @internal
 */
@Injectable()
export class RefreshFailureHandler {
  private readonly logger = new Logger(RefreshFailureHandler.name);

  constructor(
    private readonly leases: RefreshLeaseRepository,
    private readonly events: SigningAuthEventBus,
    private readonly notifier: TokenChangeNotifier,
    private readonly links: AuthorizationLinkService,
    private readonly cipher: ConnectionCipher,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  async handle(failed: FailedRefresh, lease: { held: boolean } = { held: false }): Promise<RefreshOutcome> {
    const { row, connection, request, owner } = failed;
    const { tenantId, provider } = row;
    const failure = this.classify(failed);
    const reason = describe(failure);
    const now = this.options.clock();
    const failureCount = row.failureCount + 1;
    const base = {
      tenantId,
      provider,
      trigger: request.trigger,
      reason,
      failureCount,
      durationMs: Date.now() - failed.started,
    };
    if (failure.kind === 'needs_reauth') {
      const consentUrl = await this.consentUrlFor(failed, failure);
      const version = await this.leases.storeFailure(
        row,
        owner,
        {
          status: 'needs_reauth',
          failureCount,
          lastError: reason,
          nextRefreshAt: null,
          metadataPatch: {
            ...refusedGrantMark(row),
            ...(consentUrl ? { consentUrl: this.cipher.sealConsentUrl(tenantId, provider, consentUrl) } : {}),
          },
          bumpVersion: true,
        },
        now,
      );
      if (version !== null) {
        lease.held = false;
        this.notifier.publishLocal(tenantId, provider, version);
      }
      this.logger.warn(
        `The ${provider} connection of tenant "${tenantId}" needs re-authorization: ${reason}`,
      );
      this.events.emit(SigningAuthEvent.TokenRefreshFailed, {
        ...base,
        kind: 'needs_reauth',
        nextRefreshAt: null,
      });
      this.events.emit(SigningAuthEvent.ConnectionNeedsReauth, { tenantId, provider, reason });
      throw new SigningAuthReauthRequiredError(tenantId, provider, reason, consentUrl);
    }
    const retryAt = new Date(
      now.getTime() + backoffMs(this.options, failureCount, failure.details.retryAfterMs),
    );
    const stored = await this.leases.storeFailure(
      row,
      owner,
      { status: 'error', failureCount, lastError: reason, nextRefreshAt: retryAt, bumpVersion: false },
      now,
    );
    if (stored !== null) lease.held = false;
    this.logger.warn(
      `Refreshing the ${provider} token of tenant "${tenantId}" failed (${failureCount} in a row): ${reason}; ` +
        `next attempt at ${retryAt.toISOString()}`,
    );
    this.events.emit(SigningAuthEvent.TokenRefreshFailed, {
      ...base,
      kind: 'transient',
      nextRefreshAt: retryAt.toISOString(),
    });
    if (request.acceptStale && isUsable(row, now)) {
      const stale = Object.assign(Object.create(Object.getPrototypeOf(row)) as ConnectionEntity, row, {
        status: 'error' as const,
        failureCount,
        lastError: reason,
        nextRefreshAt: retryAt,
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      return { row: stale, connection: { ...connection, row: stale }, refreshed: false };
    }
    throw new SigningAuthRefreshError(tenantId, provider, reason, retryAt);
  }

  /**
   * Marks a row this app cannot work on (a poison row): status `error`, `lastError` naming the reason and
   * key id, failure_count + 1, next look after the backoff (so a sweep run never claims it again), lease
   * released in the same statement. Reported by a warning, `token.refresh_failed` (kind `unprocessable`) and
   * `connection.unprocessable`. `owner` null marks it without the lease (an on-demand caller found it).
   * Always throws `unprocessable` for the caller.
   * @returns never; the `lease` flag says whether the statement ended our lease
   */
  async unprocessable(
    row: ConnectionEntity,
    unprocessable: SigningAuthUnprocessableConnectionError,
    trigger: RefreshRequest['trigger'],
    owner: string | null,
    lease: { held: boolean } = { held: false },
  ): Promise<never> {
    const { tenantId, provider } = row;
    const lastError = `${UNPROCESSABLE_PREFIX}${unprocessable.detail}`;
    // Already marked with this very reason and waiting for its backoff: nothing new to record or report.
    const retryAt = toDate(row.nextRefreshAt);
    const now = this.options.clock();
    if (owner === null && row.status === 'error' && row.lastError === lastError && retryAt && retryAt > now) {
      throw unprocessable;
    }
    const failureCount = row.failureCount + 1;
    const nextRefreshAt = new Date(now.getTime() + backoffMs(this.options, failureCount));
    const version = await this.leases.storeFailure(
      row,
      owner,
      { status: 'error', failureCount, lastError, nextRefreshAt, bumpVersion: false },
      now,
    );
    if (version === null) throw unprocessable; // someone else holds or changed the row: theirs to mark
    lease.held = false;
    this.logger.error(`${unprocessable.message}; next attempt at ${nextRefreshAt.toISOString()}`);
    this.events.emit(SigningAuthEvent.TokenRefreshFailed, {
      tenantId,
      provider,
      trigger,
      kind: 'unprocessable',
      reason: lastError,
      failureCount,
      nextRefreshAt: nextRefreshAt.toISOString(),
      durationMs: 0,
    });
    this.events.emit(SigningAuthEvent.ConnectionUnprocessable, {
      tenantId,
      provider,
      reason: unprocessable.reason,
      keyId: unprocessable.keyId ?? null,
      message: unprocessable.message,
      failureCount,
      nextRefreshAt: nextRefreshAt.toISOString(),
    });
    throw unprocessable;
  }

  /**
   * A `consent_required` failure of a strategy with a consent flow gets a consent link that carries a
   * state (a pending authorization of kind `consent`), so the provider's redirect completes at our
   * callback and turns the connection active. Otherwise: whatever URL the strategy supplied.
   */
  private async consentUrlFor(failed: FailedRefresh, failure: ProviderFailure): Promise<string | undefined> {
    const { strategy, connection } = failed;
    if (failure.details.code !== 'consent_required' || strategy.supportsConsentFlow?.(connection) !== true) {
      return failure.details.consentUrl;
    }
    try {
      return (await this.links.issue('consent', connection, strategy)).authorizationUrl;
    } catch (error) {
      this.logger.warn(
        `Could not issue a consent link for the ${strategy.id} connection of tenant "${connection.tenantId}": ` +
          `${(error as Error)?.name ?? 'error'}`,
      );
      return failure.details.consentUrl;
    }
  }

  private classify({ error, strategy, connection }: FailedRefresh): ProviderFailure {
    if (error instanceof ProviderFailure) return error;
    if (strategy.classifyError) {
      try {
        return strategy.classifyError(error, connection);
      } catch {
        // a broken classifier must not turn a failure into a crash: fall through
      }
    }
    const name = (error as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new ProviderFailure(
        'transient',
        `no answer within ${this.options.refresh.providerTimeoutMs} ms`,
      );
    }
    // Only the error's class: an arbitrary message might quote a request, and requests carry secrets.
    return new ProviderFailure('transient', `unexpected ${name ?? 'error'} from the strategy`);
  }
}

/** A short, secret-free reason: the provider's error code and the strategy's own description. */
function describe(failure: ProviderFailure): string {
  const code = failure.details.code;
  const text = code && !failure.message.includes(code) ? `${code}: ${failure.message}` : failure.message;
  return text.slice(0, 300);
}
