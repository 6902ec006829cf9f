import { Inject, Injectable, Logger } from '@nestjs/common';
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
    unprocessable?: number;
    overdue?: number;
    /** Key ids of stored values that are missing from the keyring, with their counts (found after start). */
    missingKeys?: Record<string, number>;
    malformedValues?: number;
    keysUnchecked?: boolean;
    /** The stored-key census that runs after start has not finished yet. */
    keysChecking?: boolean;
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
    private readonly keys: StoredKeyCheck,
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
      counts = await withTimeout(this.query.counts(overdueBefore), thresholds.timeoutMs ?? 3000);
    } catch (error) {
      this.logger.warn(`Health check: the database did not answer: ${(error as Error)?.message ?? error}`);
      return result({ status: 'down', database: 'unreachable', ...this.keyDetails() });
    }
    const data = {
      database: 'up' as const,
      connections: counts.total,
      ...pick(counts),
      ...this.keyDetails(),
    };
    const exceeded =
      counts.needsReauth > (thresholds.maxNeedsReauth ?? Infinity) ||
      counts.failing > (thresholds.maxFailing ?? Infinity) ||
      counts.unprocessable > (thresholds.maxUnprocessable ?? Infinity) ||
      counts.overdue > (thresholds.maxOverdue ?? Infinity);
    return result({ status: exceeded ? 'down' : 'up', ...data });
  }

  /** Found after start (see StoredKeyCheck): key ids of stored values this process cannot decrypt, with counts. */
  private keyDetails(): Record<string, unknown> {
    const { missingKeys, malformedValues, unchecked, checking } = this.keys.findings;
    return {
      ...(checking ? { keysChecking: true } : {}),
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
