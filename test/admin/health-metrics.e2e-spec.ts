import { Controller, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { getDataSourceToken } from '@nestjs/typeorm';
import { register } from 'prom-client';
import type { DataSource } from 'typeorm';
import {
  ConnectionsService,
  ProviderFailure,
  SigningAuthHealthIndicator,
  SigningAuthMetricNames,
  TokenService,
  type TokenGrant,
} from 'signing-auth';
import { StaticTokenStrategy } from '../support/fake-strategy.js';
import { startAdminApp, type AdminTestApp } from './admin-test-app.js';

@Controller()
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly signingAuth: SigningAuthHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.signingAuth.isHealthy('signingAuth')]);
  }

  @Get('health/strict')
  @HealthCheck()
  strict() {
    return this.health.check([() => this.signingAuth.isHealthy('signingAuth', { maxNeedsReauth: 0 })]);
  }
}

/** The test strategy, able to fail like a provider outage. */
class FlakyStrategy extends StaticTokenStrategy {
  failing = false;

  override async refresh(): Promise<TokenGrant> {
    if (this.failing)
      throw new ProviderFailure('transient', 'HTTP 503 from the token endpoint', { httpStatus: 503 });
    return super.refresh();
  }
}

const strategy = new FlakyStrategy();

@Module({ imports: [TerminusModule], controllers: [HealthController] })
class HealthModule {}

describe('health indicator and Prometheus metrics', () => {
  let harness: AdminTestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    harness = await startAdminApp({ strategies: [strategy], metrics: true }, [HealthModule]);
    dataSource = harness.app.get(getDataSourceToken());
    const connections = harness.app.get(ConnectionsService);
    const input = { config: { clientId: 'c' }, secrets: { clientSecret: 's' } };
    for (const tenant of ['ok', 'reauth', 'failing', 'late'])
      await connections.upsert(tenant, 'static-test', input);
    await dataSource.query(
      `UPDATE signing_auth_connections SET status = 'needs_reauth' WHERE tenant_id = 'reauth'`,
    );
    await dataSource.query(
      `UPDATE signing_auth_connections SET status = 'error' WHERE tenant_id = 'failing'`,
    );
    await dataSource.query(
      `UPDATE signing_auth_connections SET next_refresh_at = now() - interval '1 hour' WHERE tenant_id = 'late'`,
    );
    await dataSource.query(
      `UPDATE signing_auth_connections SET next_refresh_at = now() - interval '1 minute' WHERE tenant_id = 'ok'`,
    );
  });

  afterAll(() => harness?.close());

  it('reports the database and the connections that need attention', async () => {
    const res = await fetch(`${harness.baseUrl}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; info: Record<string, unknown> };
    expect(body.status).toBe('ok');
    // `ok` is 1 minute late: within the 5-minute grace, so not overdue.
    expect(body.info.signingAuth).toEqual({
      status: 'up',
      database: 'up',
      connections: 4,
      needsReauth: 1,
      failing: 1,
      unprocessable: 0,
      overdue: 1,
    });
  });

  it('goes down when a configured threshold is exceeded', async () => {
    const res = await fetch(`${harness.baseUrl}/health/strict`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: Record<string, unknown> }).error.signingAuth).toMatchObject({
      status: 'down',
      needsReauth: 1,
    });
  });

  it('counts refreshes, latency, cache hits and misses, and connections by status', async () => {
    const tokens = harness.app.get(TokenService);
    await tokens.getAccessToken('ok', 'static-test'); // miss, then an on-demand refresh
    await tokens.getAccessToken('ok', 'static-test'); // hit
    strategy.failing = true;
    await expect(tokens.refreshNow('ok', 'static-test')).rejects.toThrow(/HTTP 503/);
    strategy.failing = false;

    const text = await register.metrics();
    const line = (name: string, labels: string) =>
      text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    expect(line(SigningAuthMetricNames.refreshes, 'outcome="success"')).toMatch(/trigger="on_demand".* 1$/);
    expect(line(SigningAuthMetricNames.refreshes, 'outcome="transient"')).toMatch(/trigger="forced".* 1$/);
    expect(line(`${SigningAuthMetricNames.refreshDuration}_count`, 'outcome="success"')).toMatch(/ 1$/);
    expect(line(`${SigningAuthMetricNames.refreshDuration}_count`, 'outcome="transient"')).toMatch(/ 1$/);
    expect(line(SigningAuthMetricNames.cacheHits, 'provider="static-test"')).toMatch(/ 1$/);
    expect(line(SigningAuthMetricNames.cacheMisses, 'provider="static-test"')).toMatch(/ [1-9]\d*$/);
    // After its transient failure `ok` is retrying (status error) beside `failing`; `late` is still active.
    expect(line(SigningAuthMetricNames.connections, 'status="active"')).toMatch(/ 1$/);
    expect(line(SigningAuthMetricNames.connections, 'status="needs_reauth"')).toMatch(/ 1$/);
    expect(line(SigningAuthMetricNames.connections, 'status="error"')).toMatch(/ 2$/);
    expect(text).not.toContain('tenant');
  });
});
