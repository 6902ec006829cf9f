import { Controller, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { getDataSourceToken } from '@nestjs/typeorm';
import { register } from 'prom-client';
import type { DataSource } from 'typeorm';
import { ConnectionsService, SigningAuthHealthIndicator, SigningAuthMetricNames } from 'signing-auth';
import { SigningAuthEventBus } from '../../libs/signing-auth/src/events/event-bus.js';
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

@Module({ imports: [TerminusModule], controllers: [HealthController] })
class HealthModule {}

describe('health indicator and Prometheus metrics', () => {
  let harness: AdminTestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    harness = await startAdminApp({ strategies: [new StaticTokenStrategy()], metrics: true }, [HealthModule]);
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
    const events = harness.app.get(SigningAuthEventBus);
    const base = { tenantId: 'ok', provider: 'static-test', trigger: 'sweep' };
    events.emit('token.refreshed', { ...base, durationMs: 120, accessTokenExpiresAt: null });
    events.emit('token.refresh_failed', { ...base, kind: 'transient', reason: 'timeout', durationMs: 900 });
    events.emit('token.cache_hit' as never, { tenantId: 'ok', provider: 'static-test' });
    events.emit('token.cache_hit' as never, { tenantId: 'ok', provider: 'static-test' });
    events.emit('token.cache_miss' as never, { tenantId: 'ok', provider: 'static-test' });

    const text = await register.metrics();
    const line = (name: string, labels: string) =>
      text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    expect(line(SigningAuthMetricNames.refreshes, 'outcome="success"')).toMatch(/ 1$/);
    expect(line(SigningAuthMetricNames.refreshes, 'outcome="transient"')).toMatch(/ 1$/);
    expect(line(`${SigningAuthMetricNames.refreshDuration}_count`, 'outcome="success"')).toMatch(/ 1$/);
    expect(line(`${SigningAuthMetricNames.refreshDuration}_sum`, 'outcome="transient"')).toMatch(/ 0\.9$/);
    expect(line(SigningAuthMetricNames.cacheHits, 'provider="static-test"')).toMatch(/ 2$/);
    expect(line(SigningAuthMetricNames.cacheMisses, 'provider="static-test"')).toMatch(/ 1$/);
    expect(line(SigningAuthMetricNames.connections, 'status="active"')).toMatch(/ 2$/);
    expect(line(SigningAuthMetricNames.connections, 'status="needs_reauth"')).toMatch(/ 1$/);
    expect(text).not.toContain('tenant');
  });
});
