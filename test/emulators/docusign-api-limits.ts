/**
 * DocuSign's REST API limits per account (providers.md §1.9): calls per hour, reset at the top of each hour,
 * and per 30-second burst window; the headers DocuSign sends on every answer, and its refusal past a limit.
 */

/** The refusal body past a limit: the hourly sentence is DocuSign's documented one; the burst wording is ours. */
export interface ApiLimitRefusal {
  errorCode: string;
  message: string;
}

/** One account's REST calls in the current hour and 30-second burst window. */
interface ApiUsage {
  hour: number;
  used: number;
  burstWindow: number;
  burstUsed: number;
}

export class DocuSignApiLimits {
  private readonly usage = new Map<string, ApiUsage>();
  private readonly perAccount = new Map<string, { hourly?: number; burst?: number }>();

  constructor(
    private readonly now: () => number,
    private readonly defaults: () => { hourly?: number; burst: number },
  ) {}

  /** Sets one account's limits (calls per hour, per 30 s burst). */
  set(accountId: string, limits: { hourly?: number; burst?: number }): void {
    this.perAccount.set(accountId, limits);
  }

  clear(): void {
    this.usage.clear();
  }

  /**
   * Counts one call against the account's limits (a refused call does not count) and returns the headers
   * for the answer (`X-RateLimit-*`, `X-BurstLimit-*`) and, past a limit, the refusal body for a 429.
   */
  spend(accountId: string): { headers: Record<string, string>; refused?: ApiLimitRefusal } {
    const now = this.now();
    const hour = Math.floor(now / 3_600_000) * 3_600_000;
    const burstWindow = Math.floor(now / 30_000) * 30_000;
    const own = this.perAccount.get(accountId) ?? {};
    const defaults = this.defaults();
    const hourly = own.hourly ?? defaults.hourly ?? 3000;
    const burst = own.burst ?? defaults.burst;
    let usage = this.usage.get(accountId);
    if (!usage || usage.hour !== hour) usage = { hour, used: 0, burstWindow, burstUsed: 0 };
    if (usage.burstWindow !== burstWindow) Object.assign(usage, { burstWindow, burstUsed: 0 });
    this.usage.set(accountId, usage);
    let refused: ApiLimitRefusal | undefined;
    if (usage.used >= hourly) {
      refused = {
        errorCode: 'HOURLY_APIINVOCATION_LIMIT_EXCEEDED',
        message: 'The maximum number of hourly API invocations has been exceeded',
      };
    } else if (usage.burstUsed >= burst) {
      refused = {
        errorCode: 'BURST_APIINVOCATION_LIMIT_EXCEEDED',
        message: 'The maximum number of burst API invocations has been exceeded',
      };
    } else {
      usage.used++;
      usage.burstUsed++;
    }
    const headers = {
      'x-ratelimit-limit': String(hourly),
      'x-ratelimit-remaining': String(Math.max(0, hourly - usage.used)),
      'x-ratelimit-reset': String((hour + 3_600_000) / 1000),
      'x-burstlimit-limit': String(burst),
      'x-burstlimit-remaining': String(Math.max(0, burst - usage.burstUsed)),
    };
    return { headers, refused };
  }
}
