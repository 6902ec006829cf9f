import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent, type RateLimitLowEvent } from '../events/signing-auth.events.js';
import type { ObservedRateLimit } from './rate-limit-headers.js';
import { SigningAuthRateLimitError } from './rate-limit.errors.js';

/** One (tenant, provider, account)'s budget as this replica last saw it. */
interface Budget {
  tenantId: string;
  provider: string;
  account: string;
  limit: number | null;
  remaining: number | null;
  /** Epoch ms of the window's reset, when the provider said. */
  resetAt: number | null;
  /** Epoch ms before which nothing is sent (`Retry-After`, a spent burst window). 0 = none. */
  blockedUntil: number;
  observedAt: number;
  /** The low-budget event fired for this window (fires again once the budget has recovered). */
  lowNotified: boolean;
}

/** What a connection view shows of the budget (`metadata.rateLimit`). @publicApi */
export interface RateLimitBudgetView {
  limit: number | null;
  remaining: number | null;
  resetAt: string | null;
  /** Set while this replica sends nothing for the connection (`Retry-After`, spent budget or burst). */
  blockedUntil: string | null;
  observedAt: string;
  /** Always `replica`: what this process learnt from its own answers; other replicas may know more. */
  scope: 'replica';
}

/**
 * The latest rate-limit budget per (tenant, provider, account), learnt from the providers' answers to signed
 * calls, in this process's memory only (docs/decisions/026: replicas learn from their own answers, no shared
 * store). A call is refused before it is sent when the budget is known to be spent: `remaining` 0 before the
 * reset, or a `Retry-After` not yet passed. Each call sent takes one from `remaining` at once, so concurrent
 * calls cannot overrun the last unit; every answer then replaces the figures with the provider's own.
 * @internal
 */
@Injectable()
export class RateLimitBudgets {
  private readonly budgets = new Map<string, Budget>();
  private waiting = 0;
  private readonly settings: ResolvedOptions['http']['rateLimit'];

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    private readonly events: SigningAuthEventBus,
  ) {
    this.settings = options.http.rateLimit;
  }

  static keyOf(tenantId: string, provider: string, account: string): string {
    return `${tenantId}\u0000${provider}\u0000${account}`;
  }

  /**
   * Before a call is sent: `undefined` when it may go now (the usual case, without allocating), a promise
   * when it waits for the reset (`whenSpent: 'wait'`), else throws {@link SigningAuthRateLimitError}.
   */
  admit(tenantId: string, provider: string, account: string): Promise<void> | undefined {
    if (this.budgets.size === 0 || !this.settings.enabled) return undefined;
    const budget = this.budgets.get(RateLimitBudgets.keyOf(tenantId, provider, account));
    if (!budget) return undefined;
    const now = this.options.clock().getTime();
    const until = blockedUntil(budget, now);
    if (until === 0) {
      if (budget.remaining !== null && budget.remaining > 0) budget.remaining--;
      return undefined;
    }
    if (this.settings.whenSpent === 'wait') {
      const tooLong = until - now > this.settings.maxWaitMs;
      if (!tooLong && this.waiting < this.settings.maxWaiting) return this.wait(budget, until - now);
      throw this.refusal(budget, until, tooLong ? 'wait_too_long' : 'queue_full');
    }
    throw this.refusal(budget, until, 'spent');
  }

  /** After an answer (any status) that carried budget headers, or a 429/503. */
  observe(
    tenantId: string,
    provider: string,
    account: string,
    observed: ObservedRateLimit,
    status: number,
  ): void {
    const key = RateLimitBudgets.keyOf(tenantId, provider, account);
    const now = this.options.clock().getTime();
    let budget = this.budgets.get(key);
    if (!budget) {
      budget = {
        tenantId,
        provider,
        account,
        limit: null,
        remaining: null,
        resetAt: null,
        blockedUntil: 0,
        observedAt: now,
        lowNotified: false,
      };
      if (this.budgets.size >= this.settings.maxTracked) this.evictOne(now);
      this.budgets.set(key, budget);
    }
    budget.observedAt = now;
    if (observed.limit !== undefined) budget.limit = observed.limit;
    if (observed.remaining !== undefined) budget.remaining = observed.remaining;
    if (observed.resetAt !== undefined) budget.resetAt = observed.resetAt;
    if (observed.retryAt !== undefined) budget.blockedUntil = Math.max(budget.blockedUntil, observed.retryAt);
    if (status === 429) this.events.emitInternal('rate_limit.provider_refused', { tenantId, provider });
    this.checkThreshold(budget);
  }

  /** The budget for a connection view, or `undefined` when this replica has seen none. */
  view(tenantId: string, provider: string, account: string): RateLimitBudgetView | undefined {
    if (this.budgets.size === 0) return undefined;
    const budget = this.budgets.get(RateLimitBudgets.keyOf(tenantId, provider, account));
    if (!budget) return undefined;
    const until = blockedUntil(budget, this.options.clock().getTime());
    return {
      limit: budget.limit,
      remaining: budget.remaining,
      resetAt: budget.resetAt === null ? null : new Date(budget.resetAt).toISOString(),
      blockedUntil: until === 0 ? null : new Date(until).toISOString(),
      observedAt: new Date(budget.observedAt).toISOString(),
      scope: 'replica',
    };
  }

  /** `view` with `metadata.rateLimit` when this replica knows the connection's budget (else as it was). */
  decorate<T extends { tenantId: string; provider: string; metadata: Record<string, unknown> }>(view: T): T {
    if (this.budgets.size === 0) return view;
    const account = typeof view.metadata.accountId === 'string' ? view.metadata.accountId : '';
    const rateLimit = this.view(view.tenantId, view.provider, account);
    return rateLimit ? { ...view, metadata: { ...view.metadata, rateLimit } } : view;
  }

  private async wait(budget: Budget, ms: number): Promise<void> {
    this.waiting++;
    this.events.emitInternal('rate_limit.waited', { tenantId: budget.tenantId, provider: budget.provider });
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      this.waiting--;
    }
    // Another caller may have spent the new window's first units meanwhile: ask again.
    await this.admit(budget.tenantId, budget.provider, budget.account);
  }

  private refusal(
    budget: Budget,
    until: number,
    reason: SigningAuthRateLimitError['reason'],
  ): SigningAuthRateLimitError {
    this.events.emitInternal('rate_limit.refused', { tenantId: budget.tenantId, provider: budget.provider });
    return new SigningAuthRateLimitError(
      budget.tenantId,
      budget.provider,
      new Date(until),
      { limit: budget.limit, remaining: budget.remaining },
      reason,
      budget.account || undefined,
    );
  }

  /** `rate_limit.low` once per window when the share left drops to `lowFraction` or below. */
  private checkThreshold(budget: Budget): void {
    if (budget.limit === null || budget.remaining === null || budget.limit === 0) return;
    const low = budget.remaining <= budget.limit * this.settings.lowFraction;
    if (!low) {
      budget.lowNotified = false;
      return;
    }
    if (budget.lowNotified) return;
    budget.lowNotified = true;
    const event: RateLimitLowEvent = {
      tenantId: budget.tenantId,
      provider: budget.provider,
      account: budget.account || null,
      limit: budget.limit,
      remaining: budget.remaining,
      resetAt: budget.resetAt === null ? null : new Date(budget.resetAt).toISOString(),
    };
    this.events.emit(SigningAuthEvent.RateLimitLow, event);
  }

  /** Drops a budget that blocks nothing (else the oldest): memory stays bounded by `maxTracked`. */
  private evictOne(now: number): void {
    let oldest: string | undefined;
    for (const [key, budget] of this.budgets) {
      oldest ??= key;
      if (blockedUntil(budget, now) === 0) {
        this.budgets.delete(key);
        return;
      }
    }
    if (oldest !== undefined) this.budgets.delete(oldest);
  }
}

/** Epoch ms before which nothing may be sent, or 0. */
function blockedUntil(budget: Budget, now: number): number {
  if (budget.blockedUntil > now) {
    const spentUntil = spent(budget, now) ? (budget.resetAt as number) : 0;
    return Math.max(budget.blockedUntil, spentUntil);
  }
  return spent(budget, now) ? (budget.resetAt as number) : 0;
}

function spent(budget: Budget, now: number): boolean {
  return (
    budget.remaining !== null && budget.remaining <= 0 && budget.resetAt !== null && budget.resetAt > now
  );
}
