/** One key's open counting window. @publicApi */
export interface RateLimitWindow {
  /** Failures counted in this window. */
  count: number;
  /** When the window closes and the count starts again from zero. */
  resetAt: Date;
}

/**
 * Where failed admin authentications and misused OAuth callbacks are counted, per client address, in
 * fixed windows. The default keeps the counts in this process's memory: behind several replicas each
 * replica counts on its own, so a guesser spread across N replicas gets N times the budget. Give every
 * replica one shared store (Redis `INCR` + `PEXPIRE … NX`, a database table) to count across them; see
 * docs/threat-model.md §7 for a Redis version in a few lines.
 * @publicApi
 */
export interface SigningAuthRateLimitStore {
  /**
   * Counts one failure for `key` and returns its window: the open one, or a new one of `windowMs` from
   * `now` when none is open.
   */
  increment(key: string, windowMs: number, now: Date): Promise<RateLimitWindow>;
  /** `key`'s open window at `now`, without counting; `undefined` when none is open. */
  get(key: string, now: Date): Promise<RateLimitWindow | undefined>;
}

/**
 * The default store: a map in this process's memory, at most `maxKeys` keys (addresses). When full, the
 * oldest windows go first, so a flood of addresses costs bounded memory and time (and can only make the
 * limiter forget, never block someone it should not).
 * @publicApi
 */
export class MemoryRateLimitStore implements SigningAuthRateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly maxKeys = 100_000) {}

  increment(key: string, windowMs: number, now: Date): Promise<RateLimitWindow> {
    const at = now.getTime();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= at) {
      this.windows.delete(key);
      this.makeRoom();
      window = { count: 0, resetAt: at + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return Promise.resolve({ count: window.count, resetAt: new Date(window.resetAt) });
  }

  get(key: string, now: Date): Promise<RateLimitWindow | undefined> {
    const window = this.windows.get(key);
    if (!window || window.resetAt <= now.getTime()) return Promise.resolve(undefined);
    return Promise.resolve({ count: window.count, resetAt: new Date(window.resetAt) });
  }

  /**
   * A window is (re)inserted when it opens, so map order is opening order: the first keys are the oldest
   * windows (closed ones among them). Dropping from the front costs O(1) per new key, even under a flood.
   */
  private makeRoom(): void {
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}
