import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { RefreshLeaseRepository } from '../refresh/refresh-lease.repository.js';

/** A connection's use is written at most this often; the sweep's "in use" window is hours, not seconds. */
const RECORD_EVERY_MS = 60_000;
/** Uses are gathered this long before one batched write. */
const FLUSH_DELAY_MS = 1_000;

/**
 * Records that connections are in use (`last_used_at`) without touching the database on a cache hit:
 * uses are batched and each connection is written at most once a minute (module clock).
 * @internal
 */
@Injectable()
export class UsageRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger(UsageRecorder.name);
  private readonly lastRecorded = new Map<string, number>();
  private readonly pending = new Map<string, { tenantId: string; provider: string }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly leases: RefreshLeaseRepository,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /** `now`: epoch ms of the module clock, when the caller has read it already. */
  record(key: string, tenantId: string, provider: string, now = this.options.clock().getTime()): void {
    const last = this.lastRecorded.get(key);
    if (last !== undefined && now - last < RECORD_EVERY_MS) return;
    this.lastRecorded.set(key, now);
    if (this.lastRecorded.size > this.options.tokenCacheSize * 2) this.lastRecorded.clear();
    this.pending.set(key, { tenantId, provider });
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
  }

  /** Writes every pending use now (also called on shutdown and by tests). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = [...this.pending.values()];
    this.pending.clear();
    if (batch.length === 0) return;
    try {
      await this.leases.touchUsage(batch, this.options.clock(), {
        seconds: this.options.refresh.leewaySeconds,
        fraction: this.options.refresh.leewayFraction,
      });
    } catch (error) {
      this.logger.warn(
        `Could not record the use of ${batch.length} connection(s): ${(error as Error).message}`,
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }
}
