/**
 * A signed call was not sent: the provider's budget for this tenant (and account) is known to be spent, from
 * the provider's own rate-limit headers or its `Retry-After`, and `retryAt` has not come yet. Nothing left
 * the process. The budget is what this replica learnt from its own answers (see docs/decisions/026).
 * @publicApi
 */
export class SigningAuthRateLimitError extends Error {
  override readonly name = 'SigningAuthRateLimitError';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
    /** When a call may be sent again (the window's reset, or the provider's `Retry-After`). */
    readonly retryAt: Date,
    /** The budget as last seen: `limit` and `remaining` are `null` when the provider did not say. */
    readonly budget: { limit: number | null; remaining: number | null },
    /**
     * `spent`: the budget is used up (or the provider said to wait); `wait_too_long` / `queue_full`: with
     * `http.rateLimit.whenSpent: 'wait'`, the wait would exceed `maxWaitMs` or `maxWaiting` calls wait already.
     */
    readonly reason: 'spent' | 'wait_too_long' | 'queue_full',
    /** The provider's account the budget belongs to (DocuSign's `accountId`), when there is one. */
    readonly account?: string,
  ) {
    super(
      `The ${provider} rate limit of tenant "${tenantId}"${account ? ` (account ${account})` : ''} is spent` +
        (budget.limit !== null ? ` (${budget.remaining ?? 0} of ${budget.limit} calls left)` : '') +
        `; the call was not sent. Retry at ${retryAt.toISOString()}` +
        (reason === 'wait_too_long' ? ' (later than http.rateLimit.maxWaitMs)' : '') +
        (reason === 'queue_full' ? ' (http.rateLimit.maxWaiting calls are waiting already)' : '') +
        '.',
    );
  }
}
