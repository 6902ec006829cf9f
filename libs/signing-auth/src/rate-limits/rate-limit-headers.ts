/**
 * What one answer says about the caller's budget at the provider. Read on every signed answer, so it does
 * the least it can: a handful of header lookups, and parsing only for the headers present.
 * @internal
 */
export interface ObservedRateLimit {
  /** Calls allowed in the current window (`X-RateLimit-Limit`, `RateLimit-Limit`, `RateLimit-Policy` q). */
  limit?: number;
  /** Calls left in it (`X-RateLimit-Remaining`, `RateLimit-Remaining`, `RateLimit` r). */
  remaining?: number;
  /** When the window resets, epoch ms (`X-RateLimit-Reset`, `RateLimit-Reset`, `RateLimit` t). */
  resetAt?: number;
  /** Nothing may be sent before this, epoch ms: `Retry-After` on a 429/503, or a spent burst window. */
  retryAt?: number;
}

/** DocuSign's burst window (providers.md §1.9): its headers carry no reset time, so a spent burst waits this long. */
export const BURST_WINDOW_MS = 30_000;

/** Header access that works for axios' `AxiosHeaders` and plain objects (names in lower case, as Node gives them). */
type Headers = Record<string, unknown>;

/**
 * Reads DocuSign's `X-RateLimit-Limit/Remaining/Reset` and `X-BurstLimit-Limit/Remaining`, the IETF draft's
 * `RateLimit-Limit/Remaining/Reset` (delta seconds) and its structured `RateLimit: "p";r=…;t=…` with
 * `RateLimit-Policy: "p";q=…;w=…`, and `Retry-After` (seconds or an HTTP date) on a 429 or 503. `undefined`
 * when the answer says nothing about a budget. Hostile values (negative, huge, not numbers) are ignored.
 * @internal
 */
export function readRateLimit(
  headers: Headers,
  status: number,
  now: number | (() => number),
): ObservedRateLimit | undefined {
  const xRemaining = headers['x-ratelimit-remaining'];
  const draftRemaining = headers['ratelimit-remaining'];
  const structured = headers['ratelimit'];
  const burstRemaining = headers['x-burstlimit-remaining'];
  const limited = status === 429 || status === 503;
  if (
    xRemaining === undefined &&
    draftRemaining === undefined &&
    structured === undefined &&
    burstRemaining === undefined &&
    !limited
  ) {
    return undefined; // the common case for providers without limit headers: four lookups
  }
  // Epoch ms, asked for only here: the clock is not read for an answer without limit headers.
  const nowMs = typeof now === 'function' ? now() : now;
  const observed: ObservedRateLimit = {};
  if (xRemaining !== undefined) {
    observed.remaining = count(xRemaining);
    observed.limit = count(headers['x-ratelimit-limit']);
    observed.resetAt = resetTime(headers['x-ratelimit-reset'], nowMs);
  } else if (draftRemaining !== undefined) {
    observed.remaining = count(draftRemaining);
    observed.limit = count(headers['ratelimit-limit']);
    const seconds = count(headers['ratelimit-reset']);
    if (seconds !== undefined) observed.resetAt = nowMs + seconds * 1000;
  } else if (typeof structured === 'string') {
    observed.remaining = count(/(?:^|;)\s*r=(\d+)/.exec(structured)?.[1]);
    const seconds = count(/(?:^|;)\s*t=(\d+)/.exec(structured)?.[1]);
    if (seconds !== undefined) observed.resetAt = nowMs + seconds * 1000;
    const policy = headers['ratelimit-policy'];
    if (typeof policy === 'string') observed.limit = count(/(?:^|;)\s*q=(\d+)/.exec(policy)?.[1]);
  }
  if (burstRemaining !== undefined && count(burstRemaining) === 0) observed.retryAt = nowMs + BURST_WINDOW_MS;
  if (limited) {
    const retryAfter = retryAfterTime(headers['retry-after'], nowMs);
    if (retryAfter !== undefined) observed.retryAt = Math.max(observed.retryAt ?? 0, retryAfter);
  }
  return observed;
}

/** A whole, non-negative count below 2^31 (a header may be repeated: the first value counts). */
function count(value: unknown): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const trimmed = String(text).trim();
  if (!/^\d{1,10}$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return n < 2 ** 31 ? n : undefined;
}

/** Longest wait a provider's answer can impose on this replica (a hostile or broken header is capped). */
const MAX_WAIT_MS = 24 * 3_600_000;

/** `X-RateLimit-Reset`: epoch seconds as DocuSign sends it; a small number is seconds from now. */
function resetTime(value: unknown, nowMs: number): number | undefined {
  const n = count(value);
  if (n === undefined) return undefined;
  const at = n > 1_000_000_000 ? n * 1000 : nowMs + n * 1000;
  return Math.min(at, nowMs + MAX_WAIT_MS);
}

/** `Retry-After`: delta seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterTime(value: unknown, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string') return undefined;
  const seconds = count(text);
  const at = seconds !== undefined ? nowMs + seconds * 1000 : Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at, nowMs), nowMs + MAX_WAIT_MS);
}
