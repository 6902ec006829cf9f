/**
 * What one sweep pass did: returned by `SigningAuthSweeper.runOnce()`, carried by the `sweep.completed`
 * event, printed by the `sweep` command (`--json`). Every count is also a Prometheus counter whose name is
 * `SigningAuthSweepMetricNames[field]` (e.g. `refreshed` → `signing_auth_sweep_refreshed_total`).
 * @publicApi
 */
export interface SigningAuthSweepReport {
  /** `cron`: the in-process scheduled sweep; `job`: `SigningAuthSweeper.runOnce()` (the `sweep` command). */
  trigger: SigningAuthSweepTrigger;
  /** True for `dryRun`: nothing was claimed, refreshed or deleted; `due` lists what a pass would take. */
  dryRun: boolean;
  /** When the pass started (ISO 8601, module clock). Only connections due by then are taken. */
  startedAt: string;
  /** Connections this pass claimed under the refresh lease (in a dry run: the due connections found). */
  examined: number;
  /** Claimed and refreshed at the provider. */
  refreshed: number;
  /** Claimed, but found not due after all (e.g. no longer in use): rescheduled without a provider call. */
  upToDate: number;
  /** Due, but the lease was held by another replica or job (it refreshes them), or lost before the write. */
  skipped: number;
  /** Provider unreachable, timed out, 5xx or 429: retried with backoff; the old token is kept. */
  failedTransient: number;
  /** The provider refused the grant (revoked, expired, consent missing): status `needs_reauth`. */
  failedNeedsReauth: number;
  /** A stored secret could not be decrypted with the configured keys (key removed, value altered). */
  failedUndecryptable: number;
  /** Anything else (an unknown provider id, a database error on one row). */
  failedOther: number;
  /** Refreshes that obtained a refresh token with a new lifetime (renewal before it expires). */
  refreshTokensRenewed: number;
  /** Expired pending authorizations (abandoned consent flows) deleted (in a dry run: that would be). */
  expiredAuthorizationsRemoved: number;
  /** `connection.reauthorization_due` events sent: fixed-end refresh tokens that lapse soon (cron and job). */
  reauthorizationNotices: number;
  /** Due connections left for the next pass because it stopped early (0 for a complete pass). */
  leftDue: number;
  /** True when the pass stopped claiming before the end: `maxDurationMs` ran out or `signal` aborted. */
  stoppedEarly: boolean;
  /** Wall-clock duration of the pass. */
  durationSeconds: number;
  /** The connections that failed (at most {@link SWEEP_REPORT_LIST_LIMIT}), without secrets. */
  failures: SigningAuthSweepFailure[];
  /** Dry run only: the due connections and why (at most {@link SWEEP_REPORT_LIST_LIMIT}). */
  due?: SigningAuthSweepDueConnection[];
}

/** @publicApi */
export type SigningAuthSweepTrigger = 'cron' | 'job';

/** @publicApi */
export type SigningAuthSweepFailureClass = 'transient' | 'needs_reauth' | 'undecryptable' | 'other';

/** @publicApi */
export interface SigningAuthSweepFailure {
  tenantId: string;
  provider: string;
  class: SigningAuthSweepFailureClass;
  /** Short, secret-free reason (the typed error's message). */
  reason: string;
}

/** @publicApi */
export interface SigningAuthSweepDueConnection {
  tenantId: string;
  provider: string;
  status: 'active' | 'error';
  /** When it became due (ISO 8601). */
  dueAt: string;
  /** Why it is due: access token expiring, refresh-token renewal, retry after a failure, held by another. */
  reason: string;
}

/**
 * Options of one pass (`SigningAuthSweeper.runOnce(options)`).
 * @publicApi
 */
export interface SigningAuthSweepOptions {
  /**
   * Time budget in ms: once it has run out, the pass claims nothing more and gives back the leases of
   * connections it claimed but had not started; they stay due for the next pass. Calls already in flight
   * finish (each within `refresh.providerTimeoutMs`). Default: no budget.
   */
  maxDurationMs?: number;
  /**
   * Stop early when this aborts (e.g. on SIGTERM): like a budget that ran out — nothing more is claimed,
   * claimed connections not yet started are given back, calls in flight finish.
   */
  signal?: AbortSignal;
  /** Only these providers (ids such as `docusign`). Default: all. */
  providers?: string[];
  /** Only these tenants. Default: all. */
  tenantIds?: string[];
  /** List what is due and why; claim, refresh and delete nothing. */
  dryRun?: boolean;
  /** Called after each batch (and once at the start) with the counts so far, e.g. for a progress bar. */
  onProgress?: (progress: SigningAuthSweepProgress) => void;
}

/** @publicApi */
export interface SigningAuthSweepProgress {
  /** Due connections in scope when the pass started (those held by others included). */
  dueAtStart: number;
  /** The report so far. */
  report: Readonly<SigningAuthSweepReport>;
  elapsedSeconds: number;
}

/** The report's numeric fields: each one is a counter metric. */
export type SigningAuthSweepCount = {
  [K in keyof SigningAuthSweepReport]-?: SigningAuthSweepReport[K] extends number ? K : never;
}[keyof SigningAuthSweepReport];

/**
 * Prometheus name of each report count (counters, label `trigger`), plus `durationSeconds` (histogram)
 * and `leftDue` (gauge). The JSON report and the metrics use the same fields.
 * @publicApi
 */
export const SigningAuthSweepMetricNames = {
  examined: 'signing_auth_sweep_examined_total',
  refreshed: 'signing_auth_sweep_refreshed_total',
  upToDate: 'signing_auth_sweep_up_to_date_total',
  skipped: 'signing_auth_sweep_skipped_total',
  failedTransient: 'signing_auth_sweep_failed_transient_total',
  failedNeedsReauth: 'signing_auth_sweep_failed_needs_reauth_total',
  failedUndecryptable: 'signing_auth_sweep_failed_undecryptable_total',
  failedOther: 'signing_auth_sweep_failed_other_total',
  refreshTokensRenewed: 'signing_auth_sweep_refresh_tokens_renewed_total',
  expiredAuthorizationsRemoved: 'signing_auth_sweep_expired_authorizations_removed_total',
  reauthorizationNotices: 'signing_auth_sweep_reauthorization_notices_total',
  leftDue: 'signing_auth_sweep_left_due',
  durationSeconds: 'signing_auth_sweep_duration_seconds',
} as const satisfies Record<SigningAuthSweepCount, string>;

/** Longest `failures` / `due` list in a report (the counts are always complete). */
export const SWEEP_REPORT_LIST_LIMIT = 1000;

/** @internal */
export function emptySweepReport(
  trigger: SigningAuthSweepTrigger,
  dryRun: boolean,
  startedAt: Date,
): SigningAuthSweepReport {
  return {
    trigger,
    dryRun,
    startedAt: startedAt.toISOString(),
    examined: 0,
    refreshed: 0,
    upToDate: 0,
    skipped: 0,
    failedTransient: 0,
    failedNeedsReauth: 0,
    failedUndecryptable: 0,
    failedOther: 0,
    refreshTokensRenewed: 0,
    expiredAuthorizationsRemoved: 0,
    reauthorizationNotices: 0,
    leftDue: 0,
    stoppedEarly: false,
    durationSeconds: 0,
    failures: [],
  };
}

/** Failed connections of all classes. @internal */
export function failedCount(report: SigningAuthSweepReport): number {
  return report.failedTransient + report.failedNeedsReauth + report.failedUndecryptable + report.failedOther;
}
