import { HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../../common/resolved-options.js';
import { clientAddress } from './client-address.js';
import { MemoryRateLimitStore, type SigningAuthRateLimitStore } from './rate-limit-store.js';

/** What is counted: wrong admin credentials, and OAuth callbacks without a live state of their flow. @internal */
export type ThrottledDoor = 'admin' | 'callback';

const DEFAULT_MAX_FAILURES = 20;
const DEFAULT_WINDOW_SECONDS = 60;

/** 429 with `Retry-After`: this address failed too often in the current window. @internal */
export class TooManyFailuresException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      `Too many failed attempts from this address: try again in ${retryAfterSeconds} seconds`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Limits guessing: admin tokens on every guarded route (only the built-in token check; a host's own
 * `admin.guard` is its own business and is not counted twice) and states on the unguarded OAuth callback.
 * Only failures count, per client address and door, in fixed windows; successes never count and never
 * reset a count (a tenant admin holding some valid credential must not wipe their guessing record). Once an
 * address reaches `maxFailures`, every request of that door from it is answered 429 until the window
 * closes, a valid token included: letting a right guess through during the block would tell the guesser
 * it was right, and the limit would limit nothing. So an admin who shares an address with a guesser (same
 * NAT, or a proxy without `trust proxy`) waits at most one window. A store that fails is logged and the
 * request goes on (fail open: the admin API stays usable; tokens of 32+ characters do not fall to an
 * unthrottled minute).
 * @internal
 */
@Injectable()
export class FailureThrottle {
  private readonly logger = new Logger('SigningAuthAdmin');
  private readonly enabled: boolean;
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly store: SigningAuthRateLimitStore;

  constructor(@Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions) {
    const limit = options.admin.rateLimit;
    this.enabled = limit !== false;
    const given = limit === false ? {} : (limit ?? {});
    this.maxFailures = positiveInteger(
      'admin.rateLimit.maxFailures',
      given.maxFailures,
      DEFAULT_MAX_FAILURES,
    );
    this.windowMs =
      positiveInteger('admin.rateLimit.windowSeconds', given.windowSeconds, DEFAULT_WINDOW_SECONDS) * 1000;
    this.store = given.store ?? new MemoryRateLimitStore();
  }

  /** @throws TooManyFailuresException when this address already used up its failures on `door`. */
  async assertAllowed(door: ThrottledDoor, request: Request): Promise<void> {
    if (!this.enabled) return;
    const now = this.options.clock();
    const window = await this.guard(() => this.store.get(key(door, request), now));
    if (window && window.count >= this.maxFailures) {
      throw new TooManyFailuresException(retryAfter(window.resetAt, now));
    }
  }

  /** Counts one failure of this address on `door`. */
  async recordFailure(door: ThrottledDoor, request: Request): Promise<void> {
    if (!this.enabled) return;
    await this.guard(() => this.store.increment(key(door, request), this.windowMs, this.options.clock()));
  }

  private async guard<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      this.logger.warn(
        `The admin rate-limit store failed (${(error as Error)?.name ?? 'error'}); the request was not limited`,
      );
      return undefined;
    }
  }
}

function key(door: ThrottledDoor, request: Request): string {
  return `signing-auth:${door}:${clientAddress(request)}`;
}

function retryAfter(resetAt: Date, now: Date): number {
  return Math.max(1, Math.ceil((resetAt.getTime() - now.getTime()) / 1000));
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`signing-auth: ${name} must be a positive whole number (got ${String(value)}).`);
  }
  return value;
}
