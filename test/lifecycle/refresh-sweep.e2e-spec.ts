import type { TestingModule } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { TokenService } from 'signing-auth';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import {
  RefreshSweepService,
  SWEEP_JOB_NAME,
} from '../../libs/signing-auth/src/refresh/refresh-sweep.service.js';
import type { DocuSignEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { bootApp, docusignAt, seedConnections, startLifecycleEmulator } from './lifecycle-fixtures.js';

const DAY = 86_400_000;

describe('refresh sweep (DocuSign emulator with rotation and reuse detection, simulated clock)', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let app: TestingModule;
  let dataSource: DataSource;
  let offsetMs = 0;
  const key = newKey('k1');
  const now = () => new Date(Date.now() + offsetMs);
  const advance = (ms: number) => {
    offsetMs += ms;
    emu.advance(ms);
  };
  const options = () => ({
    ...docusignAt(emu),
    clock: now,
    sweep: { enabled: false, batchSize: 100, concurrency: 10 },
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
    ({ app, dataSource } = await bootApp(db, key, options()));
  });

  afterAll(async () => {
    await app?.close();
    await emu?.close();
    await db?.close();
  });

  const statusCounts = async (prefix: string) =>
    Object.fromEntries(
      (
        await dataSource.query(
          `SELECT status, count(*)::int AS n FROM signing_auth_connections WHERE tenant_id LIKE $1 GROUP BY status`,
          [`${prefix}-%`],
        )
      ).map((r: { status: string; n: number }) => [r.status, r.n]),
    );

  it('reads due connections through the partial index', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query('SET enable_seqscan = off'); // a tiny table would be scanned anyway
      const plan = (await runner.query(
        `EXPLAIN SELECT id FROM signing_auth_connections
          WHERE next_refresh_at IS NOT NULL AND next_refresh_at <= now() AND status IN ('active', 'error')
          ORDER BY next_refresh_at LIMIT 50`,
      )) as { 'QUERY PLAN': string }[];
      expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('signing_auth_connections_due_idx');
    } finally {
      await runner.query('RESET enable_seqscan');
      await runner.release();
    }
  });

  it('keeps 1,000 refresh tokens alive across 90 simulated days; none reaches needs_reauth', async () => {
    const tenants = await seedConnections(app, emu, { prefix: 'fleet', count: 1000, now: now() });
    const sweep = app.get(RefreshSweepService);
    let refreshed = 0;
    for (let day = 1; day <= 90; day++) {
      advance(DAY);
      const report = await sweep.run();
      expect(report.failures).toEqual([]);
      refreshed += report.refreshed;
    }
    // Renewed after a third of 30 days: about 9 times each, never in a loop.
    expect(refreshed).toBeGreaterThanOrEqual(8 * 1000);
    expect(refreshed).toBeLessThanOrEqual(9 * 1000);
    expect(emu.stats.reuseDetections).toBe(0);
    expect(await statusCounts('fleet')).toEqual({ active: 1000 });
    // Day 90: without the sweep every refresh token would have died on day 30. Each still works.
    advance(9 * 3_600_000); // past the 8 h access tokens, so getAccessToken must use the refresh token
    const tokens = app.get(TokenService);
    for (const tenant of tenants.filter((_, i) => i % 50 === 0)) {
      const token = await tokens.getAccessToken(tenant, 'docusign');
      expect(emu.isAccessTokenValid(token.accessToken)).toBe(true);
    }
  }, 150_000);

  it('two replicas sweeping at once split the due connections without overlap', async () => {
    await seedConnections(app, emu, {
      prefix: 'split',
      count: 200,
      now: new Date(now().getTime() - 11 * DAY),
    });
    const other = await bootApp(db, key, options());
    try {
      const before = emu.stats.tokenRequests.refresh_token ?? 0;
      const [a, b] = await Promise.all([
        app.get(RefreshSweepService).run(),
        other.app.get(RefreshSweepService).run(),
      ]);
      expect(a.refreshed + b.refreshed).toBe(200);
      expect((emu.stats.tokenRequests.refresh_token ?? 0) - before).toBe(200);
      expect(emu.stats.reuseDetections).toBe(0);
      expect(await statusCounts('split')).toEqual({ active: 200 });
    } finally {
      await other.app.close();
    }
  });

  it("runs on its cron through the host's SchedulerRegistry", async () => {
    const [tenant] = await seedConnections(app, emu, {
      prefix: 'cron',
      count: 1,
      now: new Date(now().getTime() - 11 * DAY),
    });
    const scheduled = await bootApp(
      db,
      key,
      { ...options(), sweep: { enabled: true, cron: '* * * * * *' } },
      [ScheduleModule.forRoot()],
    );
    try {
      expect(scheduled.app.get(SchedulerRegistry).getCronJob(SWEEP_JOB_NAME)).toBeDefined();
      const version = async () =>
        Number(
          (
            await dataSource.query(`SELECT version FROM signing_auth_connections WHERE tenant_id = $1`, [
              tenant,
            ])
          )[0].version,
        );
      const before = await version();
      for (let i = 0; i < 50 && (await version()) === before; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(await version()).toBeGreaterThan(before);
    } finally {
      await scheduled.app.close();
    }
  });

  it('drops expired pending authorizations', async () => {
    const insert = (id: string, expiresAt: Date) =>
      dataSource.query(
        `INSERT INTO signing_auth_pending_authorizations
           (id, state_hash, tenant_id, provider, code_verifier_ciphertext, redirect_uri, expires_at)
         VALUES (gen_random_uuid(), $1, 't', 'docusign', 'x', 'http://cb', $2)`,
        [id, expiresAt],
      );
    // Kept for a day after expiry so a late callback is told "expired"/"replayed", then dropped.
    await insert('expired', new Date(now().getTime() - 25 * 3_600_000));
    await insert('recently-expired', new Date(now().getTime() - 60_000));
    await insert('live', new Date(now().getTime() + 600_000));
    const report = await app.get(RefreshSweepService).run();
    expect(report.expiredAuthorizationsRemoved).toBe(1);
    const left = await dataSource.query(
      `SELECT state_hash FROM signing_auth_pending_authorizations ORDER BY state_hash`,
    );
    expect(left).toEqual([{ state_hash: 'live' }, { state_hash: 'recently-expired' }]);
  });
});
