import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { StoredKeyCheck } from '../crypto/stored-key.check.js';
import { ConnectionHealthQuery } from './connection-health.query.js';

/** Thresholds of {@link SigningAuthHealthIndicator.isHealthy}. @publicApi */
export interface SigningAuthHealthOptions {
  /** A scheduled refresh this late counts as overdue. Default: `300` s. */
  overdueAfterSeconds?: number;
  /**
   * Report `down` when a count exceeds its limit. Default: none, so only an unreachable database is `down`:
   * a tenant who must reconnect should alert someone, not make an orchestrator restart the app.
   */
  maxNeedsReauth?: number;
  maxFailing?: number;
  /** Rows this app cannot read (e.g. encrypted under a key id missing from the keyring). */
  maxUnprocessable?: number;
  maxOverdue?: number;
  /**
   * The database gets this long to answer before the check reports it `unreachable`, so a black-holed
   * connection never hangs the health endpoint. Default: `3000` ms.
   */
  timeoutMs?: number;
}

/**
 * A `@nestjs/terminus` health indicator: the database is reachable, and how many connections need
 * re-authorization, are failing, or are overdue for refresh (a sweep that stopped shows up here).
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.signingAuth.isHealthy('signingAuth')]); }
 * ```
 * @publicApi
 */
@Injectable()
export class SigningAuthHealthIndicator {
  private readonly logger = new Logger(SigningAuthHealthIndicator.name);
  // Terminus's HealthIndicatorService only formats results and has no dependencies: owning one keeps this
  // indicator injectable from any module, whether or not it imports TerminusModule.
  private readonly indicators = new HealthIndicatorService();

  constructor(
    private readonly query: ConnectionHealthQuery,
    private readonly keys: StoredKeyCheck,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  async isHealthy(
    key = 'signingAuth',
    thresholds: SigningAuthHealthOptions = {},
  ): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    const overdueBefore = new Date(
      this.options.clock().getTime() - (thresholds.overdueAfterSeconds ?? 300) * 1000,
    );
    let counts;
    try {
      counts = await withTimeout(this.query.counts(overdueBefore), thresholds.timeoutMs ?? 3000);
    } catch (error) {
      this.logger.warn(`Health check: the database did not answer: ${(error as Error)?.message ?? error}`);
      return indicator.down({ database: 'unreachable', ...this.keyDetails() });
    }
    const data = { database: 'up', connections: counts.total, ...pick(counts), ...this.keyDetails() };
    const exceeded =
      counts.needsReauth > (thresholds.maxNeedsReauth ?? Infinity) ||
      counts.failing > (thresholds.maxFailing ?? Infinity) ||
      counts.unprocessable > (thresholds.maxUnprocessable ?? Infinity) ||
      counts.overdue > (thresholds.maxOverdue ?? Infinity);
    return exceeded ? indicator.down(data) : indicator.up(data);
  }

  /** Found at start (see StoredKeyCheck): key ids of stored values this process cannot decrypt, with counts. */
  private keyDetails(): Record<string, unknown> {
    const { missingKeys, malformedValues, unchecked } = this.keys.findings;
    return {
      ...(Object.keys(missingKeys).length > 0 ? { missingKeys } : {}),
      ...(malformedValues > 0 ? { malformedValues } : {}),
      ...(unchecked ? { keysUnchecked: true } : {}),
    };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function pick(counts: { needsReauth: number; failing: number; unprocessable: number; overdue: number }) {
  const { needsReauth, failing, unprocessable, overdue } = counts;
  return { needsReauth, failing, unprocessable, overdue };
}
