import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
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
      counts = await this.query.counts(overdueBefore);
    } catch (error) {
      this.logger.warn(`Health check: the database did not answer: ${(error as Error)?.message ?? error}`);
      return indicator.down({ database: 'unreachable' });
    }
    const data = { database: 'up', connections: counts.total, ...pick(counts) };
    const exceeded =
      counts.needsReauth > (thresholds.maxNeedsReauth ?? Infinity) ||
      counts.failing > (thresholds.maxFailing ?? Infinity) ||
      counts.unprocessable > (thresholds.maxUnprocessable ?? Infinity) ||
      counts.overdue > (thresholds.maxOverdue ?? Infinity);
    return exceeded ? indicator.down(data) : indicator.up(data);
  }
}

function pick(counts: { needsReauth: number; failing: number; unprocessable: number; overdue: number }) {
  const { needsReauth, failing, unprocessable, overdue } = counts;
  return { needsReauth, failing, unprocessable, overdue };
}
