import type { ResolvedOptions } from '../common/resolved-options.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';

/**
 * When to refresh what: pure functions of a connection's timestamps and the module's clock, so a test
 * can simulate months by moving the clock.
 * @internal
 */
export type RefreshTiming = Pick<ResolvedOptions, 'refresh' | 'sweep'>;

/** Smallest gap between two scheduled looks at one connection: a last guard against a hot loop. */
const MIN_SCHEDULE_GAP_MS = 1_000;

export function toDate(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value);
}

/**
 * How long before expiry a token counts as due: `leewaySeconds`, or `leewayFraction` of its lifetime when
 * that is smaller (a 600 s token is refreshed 60 s early, not 300 s).
 */
export function leewayMs(timing: RefreshTiming, issuedAt: Date | null, expiresAt: Date | null): number {
  const fixed = timing.refresh.leewaySeconds * 1000;
  if (!expiresAt || !issuedAt) return fixed;
  const lifetime = expiresAt.getTime() - issuedAt.getTime();
  return lifetime > 0 ? Math.min(fixed, timing.refresh.leewayFraction * lifetime) : fixed;
}

/** When the stored access token should be replaced; `null` when it never expires. */
export function accessTokenDueAt(timing: RefreshTiming, row: ConnectionEntity): Date | null {
  const expiresAt = toDate(row.accessTokenExpiresAt);
  if (!expiresAt) return null;
  return new Date(expiresAt.getTime() - leewayMs(timing, toDate(row.lastRefreshedAt), expiresAt));
}

/** A stored access token that still works right now (maybe within its leeway). */
export function isUsable(row: ConnectionEntity, now: Date): boolean {
  if (!row.accessTokenCiphertext) return false;
  const expiresAt = toDate(row.accessTokenExpiresAt);
  return expiresAt === null || expiresAt.getTime() > now.getTime();
}

/** A stored access token that is not due for refresh yet. */
export function isFresh(timing: RefreshTiming, row: ConnectionEntity, now: Date): boolean {
  if (!row.accessTokenCiphertext) return false;
  const due = accessTokenDueAt(timing, row);
  return due === null || due.getTime() > now.getTime();
}

/**
 * The next time the sweep should refresh this connection, after it was (re)written at `now`:
 * - access token before it expires, but only for connections used within `sweep.activeWindowSeconds`;
 * - refresh token once `refreshTokenRenewFraction` of its lifetime (issued → expires) has passed. A
 *   renewal that did not extend the expiry (DocuSign without `extended`) clears the issue time, because
 *   renewing a fixed absolute expiry at ever shorter intervals gains nothing and would be a hot loop;
 * - the earliest of those; `null` when nothing needs keeping warm.
 */
export function nextScheduledRefresh(timing: RefreshTiming, row: ConnectionEntity, now: Date): Date | null {
  const due = refreshDueAt(timing, row, now);
  return due === null ? null : new Date(Math.max(due.getTime(), now.getTime() + MIN_SCHEDULE_GAP_MS));
}

/** When the connection is due (see {@link nextScheduledRefresh}), without the minimum gap. */
export function refreshDueAt(timing: RefreshTiming, row: ConnectionEntity, now: Date): Date | null {
  const candidates: number[] = [];
  const lastUsedAt = toDate(row.lastUsedAt);
  const inUse =
    lastUsedAt !== null && now.getTime() - lastUsedAt.getTime() <= timing.sweep.activeWindowSeconds * 1000;
  const accessDue = accessTokenDueAt(timing, row);
  if (inUse && accessDue) candidates.push(accessDue.getTime());
  const rtIssued = toDate(row.refreshTokenIssuedAt);
  const rtExpires = toDate(row.refreshTokenExpiresAt);
  if (row.refreshTokenCiphertext && rtIssued && rtExpires) {
    const lifetime = rtExpires.getTime() - rtIssued.getTime();
    if (lifetime > 0)
      candidates.push(rtIssued.getTime() + timing.refresh.refreshTokenRenewFraction * lifetime);
  }
  // The connect flow stored the grant but the provider's post-connect step (DocuSign userinfo) failed:
  // refresh again soon, and the refresher fetches the account with the new token.
  if (row.status === 'active' && row.metadata?.accountPending === true) {
    const last = toDate(row.lastRefreshedAt) ?? now;
    candidates.push(last.getTime() + ACCOUNT_RETRY_MS);
  }
  return candidates.length === 0 ? null : new Date(Math.min(...candidates));
}

/** How soon to retry a post-connect step that failed (a token refresh each time, so not too often). */
export const ACCOUNT_RETRY_MS = 5 * 60_000;

/**
 * Delay before retrying after the `failureCount`-th transient failure in a row: exponential, full jitter,
 * capped at `backoffMaxMs`, never shorter than the provider's Retry-After nor than one second.
 */
export function backoffMs(
  timing: RefreshTiming,
  failureCount: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const { backoffBaseMs, backoffMaxMs } = timing.refresh;
  const ceiling = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.min(Math.max(failureCount - 1, 0), 30));
  const jittered = Math.max(random() * ceiling, Math.min(backoffBaseMs, MIN_SCHEDULE_GAP_MS));
  return Math.max(jittered, retryAfterMs ?? 0);
}
