import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import type { AccessToken } from './access-token.js';

/** One cached token. Lives in memory only. @internal */
export interface CachedToken {
  token: AccessToken;
  /** The connection's non-secret config (where its credentials may be sent depends on it). */
  config: Record<string, unknown>;
  /** Row version the token came from: a change notification with a higher version drops the entry. */
  version: number;
  /** Module-clock time (epoch ms) after which the entry is no longer served: expiry minus leeway. */
  refreshAt: number;
}

/**
 * The bounded in-process token cache (LRU, `tokenCacheSize` entries), keyed by tenant and provider.
 * `stats` counts hits and misses for the metrics module.
 * @internal
 */
@Injectable()
export class TokenCache {
  readonly stats = { hits: 0, misses: 0 };
  private readonly entries: LRUCache<string, CachedToken>;

  constructor(@Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions) {
    this.entries = new LRUCache<string, CachedToken>({ max: Math.max(1, options.tokenCacheSize) });
  }

  /** The entry while it may still be served (at `now`, epoch ms of the module clock); counts a hit or a miss. */
  get(key: string, now = this.options.clock().getTime()): CachedToken | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.refreshAt > now) {
      this.stats.hits++;
      return entry;
    }
    this.stats.misses++;
    return undefined;
  }

  /** The entry, served or not, without counting or touching recency. */
  peek(key: string): CachedToken | undefined {
    return this.entries.peek(key);
  }

  /** Caches `entry` unless the cache was cleared since `generation` (when given) was read. */
  set(key: string, entry: CachedToken, generation = this.generation): void {
    if (generation !== this.generation) return;
    if (entry.refreshAt > this.options.clock().getTime()) this.entries.set(key, entry);
    else this.entries.delete(key);
  }

  /** Drops the entry, or only an entry older than `version` when one is given. */
  invalidate(key: string, version?: number): void {
    const entry = this.entries.peek(key);
    if (entry && (version === undefined || entry.version < version)) this.entries.delete(key);
  }

  /** Bumped by {@link clear}: a load that started before a clear must not cache what it read. */
  generation = 0;

  /** Drops every entry (the change notifications may have been missed). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

export function cacheKey(tenantId: string, provider: string): string {
  return `${provider}\n${tenantId}`;
}
