import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { ConnectionHealthQuery } from '../health/connection-health.query.js';
import { SigningAuthSweepMetricNames, type SigningAuthSweepReport } from '../refresh/sweep-report.js';

type PromClient = typeof import('prom-client');
/** Internal rate-limit signals (RateLimitBudgets) and the `outcome` label each counts as. */
const RATE_LIMIT_OUTCOMES: Record<string, string> = {
  'rate_limit.refused': 'refused',
  'rate_limit.waited': 'waited',
  'rate_limit.provider_refused': 'provider_429',
};
type Labels = Record<string, string>;

/** Names of the Prometheus metrics (registered in prom-client's default registry). @publicApi */
export const SigningAuthMetricNames = {
  refreshes: 'signing_auth_token_refreshes_total',
  refreshDuration: 'signing_auth_token_refresh_duration_seconds',
  cacheHits: 'signing_auth_token_cache_hits_total',
  cacheMisses: 'signing_auth_token_cache_misses_total',
  connections: 'signing_auth_connections',
  /** Signed calls held back or refused by a rate limit, by provider and outcome (`refused`, `waited`, `provider_429`). */
  rateLimited: 'signing_auth_rate_limited_calls_total',
  /** `rate_limit.low` events (a tenant's budget at a provider fell to `http.rateLimit.lowFraction`), by provider. */
  rateLimitLow: 'signing_auth_rate_limit_low_total',
} as const;

/**
 * Prometheus metrics, fed by the event bus; on only with `metrics: true`. prom-client is loaded lazily, so it
 * is an optional peer. Labels are provider, outcome and status, never the tenant (unbounded cardinality).
 * @internal
 */
@Injectable()
export class SigningAuthMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningAuthMetrics.name);
  private registered: string[] = [];
  private client?: PromClient;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    private readonly events: SigningAuthEventBus,
    private readonly query: ConnectionHealthQuery,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.options.metrics) return;
    const client = (this.client = await import('prom-client'));
    const refreshes = this.counter(client, SigningAuthMetricNames.refreshes, 'Token refreshes by outcome', [
      'provider',
      'outcome',
      'trigger',
    ]);
    const duration = new client.Histogram({
      name: this.claim(SigningAuthMetricNames.refreshDuration),
      help: 'Time spent obtaining a token from the provider',
      labelNames: ['provider', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    const hits = this.counter(client, SigningAuthMetricNames.cacheHits, 'Tokens served from the cache', [
      'provider',
    ]);
    const misses = this.counter(
      client,
      SigningAuthMetricNames.cacheMisses,
      'Token lookups that missed the cache',
      ['provider'],
    );
    const query = this.query;
    const logger = this.logger;
    new client.Gauge({
      name: this.claim(SigningAuthMetricNames.connections),
      help: 'Connections by provider and status (counted at scrape time)',
      labelNames: ['provider', 'status'],
      async collect() {
        try {
          const rows = await query.countByStatus();
          this.reset();
          for (const row of rows) this.set({ provider: row.provider, status: row.status }, row.count);
        } catch (error) {
          logger.warn(`Could not count connections for metrics: ${(error as Error)?.message ?? error}`);
        }
      },
    });
    const rateLimited = this.counter(
      client,
      SigningAuthMetricNames.rateLimited,
      'Signed calls refused before sending, held until a reset, or answered 429, by provider',
      ['provider', 'outcome'],
    );
    const rateLimitLow = this.counter(
      client,
      SigningAuthMetricNames.rateLimitLow,
      'Times a connection budget at a provider fell to the low threshold, by provider',
      ['provider'],
    );
    const sweep = this.sweepMetrics(client);
    this.events.subscribe((name, payload) => {
      const provider = String(payload.provider ?? 'unknown');
      const seconds = typeof payload.durationMs === 'number' ? payload.durationMs / 1000 : undefined;
      const event = name as string;
      if (event === 'token.refreshed' || event === 'token.refresh_failed') {
        const outcome = event === 'token.refreshed' ? 'success' : String(payload.kind ?? 'failure');
        const labels: Labels = { provider, outcome, trigger: String(payload.trigger ?? 'unknown') };
        refreshes.inc(labels);
        if (seconds !== undefined) duration.observe({ provider, outcome }, seconds);
      } else if (event === 'token.cache_hit') {
        hits.inc({ provider });
      } else if (event === 'token.cache_miss') {
        misses.inc({ provider });
      } else if (event in RATE_LIMIT_OUTCOMES) {
        rateLimited.inc({ provider, outcome: RATE_LIMIT_OUTCOMES[event] });
      } else if (event === 'rate_limit.low') {
        rateLimitLow.inc({ provider });
      } else if (event === 'sweep.completed' && payload.dryRun !== true) {
        sweep(payload as unknown as SigningAuthSweepReport);
      }
    });
  }

  /** One counter per report count (same field names as the JSON report), a duration histogram, a gauge. */
  private sweepMetrics(client: PromClient): (report: SigningAuthSweepReport) => void {
    const {
      leftDue: leftDueName,
      durationSeconds: durationName,
      ...counterNames
    } = SigningAuthSweepMetricNames;
    const counters = Object.entries(counterNames).map(
      ([field, name]) =>
        [
          field as keyof typeof counterNames,
          this.counter(client, name, `Sweep passes: ${field} (a field of the sweep report)`, ['trigger']),
        ] as const,
    );
    const leftDue = new client.Gauge({
      name: this.claim(leftDueName),
      help: 'Due connections the last sweep pass left because its time budget ran out',
      labelNames: ['trigger'],
    });
    const duration = new client.Histogram({
      name: this.claim(durationName),
      help: 'Duration of sweep passes',
      labelNames: ['trigger'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    });
    return (report) => {
      const labels = { trigger: String(report.trigger) };
      for (const [field, counter] of counters) {
        const value = report[field];
        if (typeof value === 'number' && value > 0) counter.inc(labels, value);
      }
      leftDue.set(labels, report.leftDue);
      duration.observe(labels, report.durationSeconds);
    };
  }

  onModuleDestroy(): void {
    for (const name of this.registered) this.client?.register.removeSingleMetric(name);
    this.registered = [];
  }

  private counter(client: PromClient, name: string, help: string, labelNames: string[]) {
    return new client.Counter({ name: this.claim(name), help, labelNames });
  }

  /** A second app in the same process (tests, a restart in place) takes the metric names over. */
  private claim(name: string): string {
    this.client?.register.removeSingleMetric(name);
    this.registered.push(name);
    return name;
  }
}
