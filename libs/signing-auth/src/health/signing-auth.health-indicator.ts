import { Inject, Injectable, Logger } from '@nestjs/common';
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
  maxOverdue?: number;
}

/**
 * What {@link SigningAuthHealthIndicator.isHealthy} returns: terminus's `HealthIndicatorResult` shape
 * (`{ [key]: { status, ...details } }`), declared here so that the library does not need
 * `@nestjs/terminus` installed. @publicApi
 */
export type SigningAuthHealthResult<Key extends string = string> = Record<
  Key,
  {
    status: 'up' | 'down';
    database: 'up' | 'unreachable';
    connections?: number;
    needsReauth?: number;
    failing?: number;
    overdue?: number;
  }
>;

/**
 * A health indicator for `@nestjs/terminus` (its result has terminus's shape; terminus itself is an
 * optional peer, needed only by the host's `HealthCheckService`): the database is reachable, and how many connections need
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

  constructor(
    private readonly query: ConnectionHealthQuery,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  async isHealthy<Key extends string = 'signingAuth'>(
    key: Key = 'signingAuth' as Key,
    thresholds: SigningAuthHealthOptions = {},
  ): Promise<SigningAuthHealthResult<Key>> {
    const result = (details: SigningAuthHealthResult[string]) =>
      ({ [key]: details }) as SigningAuthHealthResult<Key>;
    const overdueBefore = new Date(
      this.options.clock().getTime() - (thresholds.overdueAfterSeconds ?? 300) * 1000,
    );
    let counts;
    try {
      counts = await this.query.counts(overdueBefore);
    } catch (error) {
      this.logger.warn(`Health check: the database did not answer: ${(error as Error)?.message ?? error}`);
      return result({ status: 'down', database: 'unreachable' });
    }
    const data = { database: 'up' as const, connections: counts.total, ...pick(counts) };
    const exceeded =
      counts.needsReauth > (thresholds.maxNeedsReauth ?? Infinity) ||
      counts.failing > (thresholds.maxFailing ?? Infinity) ||
      counts.overdue > (thresholds.maxOverdue ?? Infinity);
    return result({ status: exceeded ? 'down' : 'up', ...data });
  }
}

function pick(counts: { needsReauth: number; failing: number; overdue: number }) {
  return { needsReauth: counts.needsReauth, failing: counts.failing, overdue: counts.overdue };
}
