import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { PendingAuthorizationRepository } from '../authorization/pending-authorization.repository.js';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { RefreshLeaseRepository } from './refresh-lease.repository.js';
import { refreshDueAt } from './refresh-policy.js';
import { ReauthorizationForecast } from './reauthorization-forecast.js';
import { TokenRefresher } from './token-refresher.js';

/** Name of the cron job in the host's SchedulerRegistry. */
export const SWEEP_JOB_NAME = 'signing-auth-refresh-sweep';

/** What one sweep run did. @internal */
export interface SweepReport {
  claimed: number;
  refreshed: number;
  rescheduled: number;
  failed: number;
  expiredAuthorizationsDeleted: number;
  /** `connection.reauthorization_due` events emitted by this run. */
  reauthorizationNotices: number;
  /** True when the run was skipped because the previous one was still going. */
  skipped: boolean;
}

interface CronJobLike {
  start(): void;
  stop(): unknown;
}

/**
 * The scheduled sweep: claims due connections in batches (one statement, `FOR UPDATE SKIP LOCKED`, so
 * replicas split the work), refreshes them with bounded concurrency, reschedules those that turn out not
 * to be due, and deletes expired pending authorizations. The cron job is registered in the host's
 * `SchedulerRegistry` (`ScheduleModule.forRoot()`); the library never imports ScheduleModule itself.
 * @internal
 */
@Injectable()
export class RefreshSweepService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RefreshSweepService.name);
  private running: Promise<SweepReport> | null = null;
  private job: CronJobLike | null = null;

  constructor(
    private readonly leases: RefreshLeaseRepository,
    private readonly refresher: TokenRefresher,
    private readonly pendingAuthorizations: PendingAuthorizationRepository,
    private readonly forecast: ReauthorizationForecast,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.sweep.enabled) return;
    let registry: {
      addCronJob(name: string, job: unknown): void;
      doesExist(type: 'cron', name: string): boolean;
    };
    try {
      const { SchedulerRegistry } = await import('@nestjs/schedule');
      registry = this.moduleRef!.get(SchedulerRegistry, { strict: false });
    } catch {
      this.logger.warn(
        'The refresh sweep is not scheduled: import ScheduleModule.forRoot() (from @nestjs/schedule) in your ' +
          'app module, or set sweep.enabled: false in a replica that should not sweep.',
      );
      return;
    }
    const { CronJob } = await import('cron');
    const job = CronJob.from({
      cronTime: this.options.sweep.cron,
      onTick: () => void this.run().catch((e: Error) => this.logger.error(`Sweep failed: ${e.message}`)),
      start: false,
    });
    if (registry.doesExist('cron', SWEEP_JOB_NAME)) return;
    registry.addCronJob(SWEEP_JOB_NAME, job);
    this.job = job;
    job.start();
  }

  onApplicationShutdown(): void {
    this.job?.stop();
  }

  /** One sweep now (the cron calls this; tests drive it directly). Overlapping calls share one run. */
  run(): Promise<SweepReport> {
    if (this.running) return this.running.then((report) => ({ ...report, skipped: true }));
    this.running = this.sweep().finally(() => (this.running = null));
    return this.running;
  }

  private async sweep(): Promise<SweepReport> {
    const report: SweepReport = {
      claimed: 0,
      refreshed: 0,
      rescheduled: 0,
      failed: 0,
      expiredAuthorizationsDeleted: 0,
      reauthorizationNotices: 0,
      skipped: false,
    };
    const { batchSize, concurrency } = this.options.sweep;
    const leaseMs = this.options.refresh.leaseSeconds * 1000;
    report.expiredAuthorizationsDeleted = await this.pendingAuthorizations.purge(this.options.clock());
    report.reauthorizationNotices = await this.forecast.notifyDue(this.options.clock());
    // Only what was due when the run started: every handled row is rescheduled after that instant, so
    // the run ends even when handling a batch takes longer than the shortest reschedule.
    const cutoff = this.options.clock();
    for (;;) {
      const now = this.options.clock();
      const rows = await this.leases.claimDue(this.refresher.owner, cutoff, now, leaseMs, batchSize);
      report.claimed += rows.length;
      await forEachLimited(rows, concurrency, async (row) => {
        try {
          const outcome = await this.refresher.runLeased(row, {
            tenantId: row.tenantId,
            provider: row.provider,
            trigger: 'sweep',
            // Due by schedule, but the schedule may be stale (the connection fell out of use): look again.
            satisfied: (current, _c, at) => {
              const due = refreshDueAt(this.options, current, at);
              return current.status === 'active' && (due === null || due > at);
            },
            acceptStale: true,
            ignoreBackoff: true,
          });
          if (outcome?.refreshed) report.refreshed++;
          else if (outcome) report.rescheduled++;
        } catch {
          report.failed++; // recorded on the row, logged and emitted as an event by the refresher
        }
      });
      if (rows.length < batchSize) break;
    }
    if (report.claimed > 0) {
      this.logger.log(
        `Sweep: ${report.refreshed} refreshed, ${report.rescheduled} rescheduled, ${report.failed} failed`,
      );
    }
    return report;
  }
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
