import type { TokenGrant } from '../strategy.interface.js';

/**
 * Bounds on what a provider (or a custom strategy) may hand us, so that an odd but successful answer can
 * never make the write-back fail: a write-back that fails after a rotation would drop the new refresh token
 * (docs/reliability.md, "A received refresh token is never dropped").
 * @internal
 */
const DAY_MS = 86_400_000;
/** Longest access-token lifetime believed: a provider claiming more is refreshed after a year anyway. */
export const MAX_ACCESS_TOKEN_LIFETIME_MS = 366 * DAY_MS;
/** Longest refresh-token lifetime believed. */
export const MAX_REFRESH_TOKEN_LIFETIME_MS = 10 * 366 * DAY_MS;
/** Lifetime assumed for an access token whose expiry a custom strategy gave as an invalid date. */
const UNKNOWN_EXPIRY_MS = 3_600_000;
/** RFC 6749 §7.1 token types are short names (`Bearer`, `MAC`, `DPoP`); the column holds 32 characters. */
const TOKEN_TYPE = /^[A-Za-z][A-Za-z0-9._~+-]{0,31}$/;

/** `Bearer` (canonical case) for bearer or for anything that is not a plausible token type name. */
export function tokenTypeOf(raw: unknown): string {
  if (typeof raw !== 'string' || !TOKEN_TYPE.test(raw) || raw.toLowerCase() === 'bearer') return 'Bearer';
  return raw;
}

/** A positive lifetime in seconds (number or numeric string) as ms, capped at `maxMs`; else undefined. */
export function lifetimeMs(value: unknown, maxMs: number): number | undefined {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof seconds !== 'number' || Number.isNaN(seconds) || seconds <= 0) return undefined;
  return Math.min(seconds * 1000, maxMs);
}

/**
 * The grant with every field the database stores made storable: a plausible token type, expiries that are
 * valid dates within the bounds above. Applied to every strategy's answer before the write-back.
 */
export function boundedGrant(grant: TokenGrant, now: Date): TokenGrant {
  const bounded: TokenGrant = { ...grant, tokenType: tokenTypeOf(grant.tokenType) };
  if (grant.expiresAt !== null) {
    bounded.expiresAt = clampDate(grant.expiresAt, now, MAX_ACCESS_TOKEN_LIFETIME_MS, UNKNOWN_EXPIRY_MS);
  }
  if (grant.refreshTokenExpiresAt) {
    bounded.refreshTokenExpiresAt = clampDate(
      grant.refreshTokenExpiresAt,
      now,
      MAX_REFRESH_TOKEN_LIFETIME_MS,
      null,
    );
  }
  if (
    grant.scopes !== undefined &&
    !(Array.isArray(grant.scopes) && grant.scopes.every((s) => typeof s === 'string'))
  ) {
    delete bounded.scopes;
  }
  return bounded;
}

function clampDate<T extends number | null>(
  value: unknown,
  now: Date,
  maxMs: number,
  ifInvalid: T,
): Date | (T extends null ? null : never) {
  const time = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(time)) {
    return (ifInvalid === null ? null : new Date(now.getTime() + ifInvalid)) as Date;
  }
  return new Date(Math.min(time, now.getTime() + maxMs));
}
