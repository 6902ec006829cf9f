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
import { SigningAuthDatabaseError } from '../common/query-rows.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent } from '../events/signing-auth.events.js';
import {
  SigningAuthReauthRequiredError,
  SigningAuthRefreshError,
  SigningAuthUnprocessableConnectionError,
} from './refresh.errors.js';
import { RefreshLeaseRepository, type SweepScope } from './refresh-lease.repository.js';
import { backoffMs, refreshDueAt } from './refresh-policy.js';
import { SweepDueQuery } from './sweep-due.query.js';
import {
  emptySweepReport,
  failedCount,
  SWEEP_REPORT_LIST_LIMIT,
  type SigningAuthSweepFailureClass,
  type SigningAuthSweepOptions,
  type SigningAuthSweepReport,
  type SigningAuthSweepTrigger,
} from './sweep-report.js';
import { ReauthorizationForecast } from './reauthorization-forecast.js';
import { TokenRefresher } from './token-refresher.js';

/** Name of the cron job in the host's SchedulerRegistry. */
export const SWEEP_JOB_NAME = 'signing-auth-refresh-sweep';

/** What a pass is asked to do (dry runs never get here: they only read, see SigningAuthSweeper). @internal */
export type SweepPassRequest = Omit<SigningAuthSweepOptions, 'dryRun'> & { trigger: SigningAuthSweepTrigger };

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
  private running: Promise<SigningAuthSweepReport> | null = null;
  private job: CronJobLike | null = null;

  constructor(
    private readonly leases: RefreshLeaseRepository,
    private readonly refresher: TokenRefresher,
    private readonly pendingAuthorizations: PendingAuthorizationRepository,
    private readonly due: SweepDueQuery,
    private readonly events: SigningAuthEventBus,
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
  run(): Promise<SigningAuthSweepReport> {
    if (this.running) return this.running;
    this.running = this.pass({ trigger: 'cron' }).finally(() => (this.running = null));
    return this.running;
  }

  /**
   * One complete pass: the cron's run and `SigningAuthSweeper.runOnce()` (a job) both come here, so they
   * share the claim (lease, SKIP LOCKED) and the fenced write-back, and a job can overlap running replicas.
   * Takes only what was due when the pass started; stops claiming when the time budget runs out.
   */
  async pass(request: SweepPassRequest): Promise<SigningAuthSweepReport> {
    const started = performance.now();
    const startedAt = this.options.clock();
    const report = emptySweepReport(request.trigger, false, startedAt);
    const scope: SweepScope = { providers: request.providers, tenantIds: request.tenantIds };
    const deadline = request.maxDurationMs === undefined ? Infinity : started + request.maxDurationMs;
    const outOfTime = () => performance.now() >= deadline || request.signal?.aborted === true;
    const { batchSize, concurrency } = this.options.sweep;
    // Leases are judged on the database's clock (docs/decisions/006): only their length is ours.
    const leaseMs = this.options.refresh.leaseSeconds * 1000;
    // Fixed-end refresh tokens about to lapse (DocuSign without `extended`): tell before a user must consent.
    report.reauthorizationNotices = await this.forecast.notifyDue(startedAt);
    // Only what was due when the run started: every handled row is rescheduled after that instant, so
    // the run ends even when handling a batch takes longer than the shortest reschedule.
    const cutoff = startedAt;
    const progress = request.onProgress;
    let dueAtStart = 0;
    const tell = () =>
      progress?.({ dueAtStart, report, elapsedSeconds: (performance.now() - started) / 1000 });
    if (progress) {
      const { held, free } = await this.due.count(scope, cutoff);
      dueAtStart = held + free;
      tell();
    }
    report.expiredAuthorizationsRemoved = await this.pendingAuthorizations.purge(startedAt);
    // Each row is handled at most once per run. Every path reschedules past the cutoff, so a row comes
    // back only if that write failed; then it is put off by the backoff instead of looping (a run always ends).
    const seen = new Set<string>();
    for (;;) {
      if (outOfTime()) {
        report.stoppedEarly = true;
        break;
      }
      const claimed = await this.leases.claimDue(this.refresher.owner, cutoff, leaseMs, batchSize, scope);
      const rows = claimed.filter((row) => !seen.has(row.id));
      // Rows already handled in this pass: put off, and not counted a second time.
      await this.putOff(claimed.filter((row) => seen.has(row.id)));
      for (const row of rows) seen.add(row.id);
      // `concurrency` provider calls at a time; a row's write-back runs on while the next row's call starts,
      // and the batch ends (and the next claim is made) only when every write of this batch is done.
      await forEachOverlapping(rows, concurrency, async (row, providerDone) => {
        if (outOfTime()) {
          // Claimed but not started: give the lease back untouched, so the row stays due for the next pass.
          report.stoppedEarly = true;
          await this.leases.release(row, this.refresher.owner).catch(() => undefined);
          return;
        }
        report.examined++;
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
            // A transient failure must surface here (and be counted), not hand back the old token.
            acceptStale: false,
            ignoreBackoff: true,
            onProviderDone: providerDone,
          });
          // null: the lease was lost before the write, so another replica has the row now.
          if (outcome === null) report.skipped++;
          else if (!outcome.refreshed) report.upToDate++;
          else {
            report.refreshed++;
            if (outcome.row.refreshTokenIssuedAt) report.refreshTokensRenewed++;
          }
        } catch (error) {
          // recorded on the row, logged and emitted as an event by the refresher
          recordFailure(report, row.tenantId, row.provider, error);
        }
      });
      tell();
      if (claimed.length < batchSize || rows.length === 0) break;
    }
    const { held, free } = await this.due.count(scope, cutoff);
    report.skipped += held;
    report.leftDue = report.stoppedEarly ? free : 0;
    report.durationSeconds = Math.round(performance.now() - started) / 1000;
    tell();
    if (report.examined > 0 || report.stoppedEarly) {
      this.logger.log(
        `Sweep (${report.trigger}): ${report.refreshed} refreshed, ${report.upToDate} up to date, ` +
          `${failedCount(report)} failed, ${report.skipped} held by others` +
          (report.stoppedEarly ? `, stopped early with ${report.leftDue} left due` : ''),
      );
    }
    this.events.emit(SigningAuthEvent.SweepCompleted, report);
    return report;
  }

  /** Rows claimed a second time in one run: give them back with a retry after the first backoff step. */
  private async putOff(rows: ConnectionEntity[]): Promise<void> {
    for (const row of rows) {
      const retryAt = new Date(this.options.clock().getTime() + backoffMs(this.options, 1));
      this.logger.warn(
        `Sweep: the ${row.provider} connection of tenant "${row.tenantId}" came back in the same run; ` +
          `next attempt at ${retryAt.toISOString()}`,
      );
      await this.leases.release(row, this.refresher.owner, retryAt);
    }
  }
}

/**
 * The report's failure class. Poison rows (decision 014: marked `error`, rescheduled, evented by the refresher)
 * arrive as SigningAuthUnprocessableConnectionError: unreadable stored data is "undecryptable", a provider
 * id without a strategy is "other".
 */
function classify(error: unknown): SigningAuthSweepFailureClass {
  if (error instanceof SigningAuthReauthRequiredError) return 'needs_reauth';
  if (error instanceof SigningAuthRefreshError) return 'transient';
  if (error instanceof SigningAuthUnprocessableConnectionError) {
    return error.reason === 'unknown_provider' ? 'other' : 'undecryptable';
  }
  return 'other';
}

/** Counts a failed connection under its class; the reason comes from our own typed, secret-free errors. */
function recordFailure(
  report: SigningAuthSweepReport,
  tenantId: string,
  provider: string,
  error: unknown,
): void {
  const failureClass = classify(error);
  if (failureClass === 'needs_reauth') report.failedNeedsReauth++;
  else if (failureClass === 'transient') report.failedTransient++;
  else if (failureClass === 'undecryptable') report.failedUndecryptable++;
  else report.failedOther++;
  if (report.failures.length < SWEEP_REPORT_LIST_LIMIT) {
    // Our typed errors carry a short, secret-free reason; anything else only by its class.
    const reason =
      error instanceof SigningAuthUnprocessableConnectionError
        ? error.detail
        : error instanceof SigningAuthReauthRequiredError || error instanceof SigningAuthRefreshError
          ? error.reason
          : error instanceof SigningAuthDatabaseError
            ? error.message
            : `unexpected ${(error as Error)?.name ?? 'error'}`;
    report.failures.push({ tenantId, provider, class: failureClass, reason: reason.slice(0, 300) });
  }
}

/**
 * Runs `fn` over `items` with at most `limit` of them holding a slot at once; a task gives its slot back
 * when it calls `done` (its provider call is over) or when it ends, whichever comes first. Resolves when
 * every task has ended: a sweep batch is over only when all its write-backs are.
 */
async function forEachOverlapping<T>(
  items: T[],
  limit: number,
  fn: (item: T, done: () => void) => Promise<void>,
): Promise<void> {
  const tasks: Promise<void>[] = [];
  let next = 0;
  let active = 0;
  const launch = (): void => {
    while (active < Math.max(1, limit) && next < items.length) {
      const item = items[next++];
      active++;
      let released = false;
      const done = (): void => {
        if (released) return;
        released = true;
        active--;
        launch();
      };
      tasks.push(fn(item, done).finally(done));
    }
  };
  launch();
  // Tasks launched later are pushed while earlier ones settle: wait until no new ones appear.
  for (let waited = 0; waited < tasks.length;) {
    const batch = tasks.slice(waited);
    waited = tasks.length;
    await Promise.all(batch);
  }
}
