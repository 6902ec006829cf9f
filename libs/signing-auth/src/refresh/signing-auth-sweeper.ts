import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { PendingAuthorizationRepository } from '../authorization/pending-authorization.repository.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent } from '../events/signing-auth.events.js';
import { RefreshSweepService } from './refresh-sweep.service.js';
import { SweepDueQuery } from './sweep-due.query.js';
import {
  emptySweepReport,
  SWEEP_REPORT_LIST_LIMIT,
  type SigningAuthSweepOptions,
  type SigningAuthSweepReport,
} from './sweep-report.js';

/** Bad `runOnce` options: names the option and what is wrong with it. @publicApi */
export class SigningAuthSweepOptionsError extends Error {
  override readonly name = 'SigningAuthSweepOptionsError';

  constructor(
    readonly option: keyof SigningAuthSweepOptions,
    reason: string,
  ) {
    super(`Invalid sweep option "${option}": ${reason}`);
  }
}

/**
 * Runs the refresh sweep as a job: one complete pass, then returns its report. Use it from a command run
 * by a Kubernetes CronJob, a systemd timer or a CI schedule, with `sweep.enabled: false` in web replicas
 * (or alongside them: the pass takes the same refresh lease as the in-process cron, so overlapping runs
 * refresh each connection once). Does not need `ScheduleModule`.
 * @publicApi
 */
@Injectable()
export class SigningAuthSweeper {
  constructor(
    private readonly sweep: RefreshSweepService,
    private readonly due: SweepDueQuery,
    private readonly pendingAuthorizations: PendingAuthorizationRepository,
    private readonly events: SigningAuthEventBus,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /**
   * One pass over every connection due now (in the filter): claimed under the lease, refreshed, written
   * back fenced; expired pending authorizations deleted. Emits `sweep.completed` with the report. With
   * `dryRun` it only lists what is due and why. Throws {@link SigningAuthSweepOptionsError} for bad options
   * and the database's error when the pass cannot run at all; a failing connection never throws (it is
   * counted in the report).
   */
  async runOnce(options: SigningAuthSweepOptions = {}): Promise<SigningAuthSweepReport> {
    const checked = validate(options);
    if (checked.dryRun) return this.dryRun(checked);
    return this.sweep.pass({ ...checked, trigger: 'job' });
  }

  private async dryRun(options: SigningAuthSweepOptions): Promise<SigningAuthSweepReport> {
    const started = performance.now();
    const now = this.options.clock();
    const scope = { providers: options.providers, tenantIds: options.tenantIds };
    const report = emptySweepReport('job', true, now);
    const { held, free } = await this.due.count(scope, now);
    report.examined = held + free;
    report.skipped = held;
    report.due = await this.due.list(scope, now, now, SWEEP_REPORT_LIST_LIMIT);
    report.expiredAuthorizationsRemoved = await this.pendingAuthorizations.countPurgeable(now);
    report.durationSeconds = Math.round(performance.now() - started) / 1000;
    options.onProgress?.({ dueAtStart: report.examined, report, elapsedSeconds: report.durationSeconds });
    this.events.emit(SigningAuthEvent.SweepCompleted, report);
    return report;
  }
}

/** Options come from command lines and config files: check each before touching the database. */
function validate(options: SigningAuthSweepOptions): SigningAuthSweepOptions {
  if (options === null || typeof options !== 'object') {
    throw new SigningAuthSweepOptionsError('dryRun', 'options must be an object');
  }
  const { maxDurationMs, providers, tenantIds, dryRun, onProgress, signal } = options;
  if (
    maxDurationMs !== undefined &&
    (typeof maxDurationMs !== 'number' || !Number.isFinite(maxDurationMs) || maxDurationMs < 0)
  ) {
    throw new SigningAuthSweepOptionsError('maxDurationMs', 'must be a number of milliseconds ≥ 0');
  }
  for (const [name, list] of [
    ['providers', providers],
    ['tenantIds', tenantIds],
  ] as const) {
    if (list === undefined) continue;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      list.some((v) => typeof v !== 'string' || v.trim() === '' || v.length > 200)
    ) {
      throw new SigningAuthSweepOptionsError(name, 'must be a non-empty list of non-empty ids');
    }
  }
  if (dryRun !== undefined && typeof dryRun !== 'boolean') {
    throw new SigningAuthSweepOptionsError('dryRun', 'must be true or false');
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new SigningAuthSweepOptionsError('onProgress', 'must be a function');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new SigningAuthSweepOptionsError('signal', 'must be an AbortSignal');
  }
  return { maxDurationMs, providers, tenantIds, dryRun: dryRun ?? false, onProgress, signal };
}
