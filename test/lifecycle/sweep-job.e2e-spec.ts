import type { TestingModule } from '@nestjs/testing';
import { register } from 'prom-client';
import type { DataSource } from 'typeorm';
import {
  SigningAuthEvent,
  SigningAuthSweepMetricNames,
  SigningAuthSweeper,
  SigningAuthSweepOptionsError,
  type SigningAuthSweepReport,
} from 'signing-auth';
import { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import { ConnectionEntity } from '../../libs/signing-auth/src/connections/connection.entity.js';
import { RefreshSweepService } from '../../libs/signing-auth/src/refresh/refresh-sweep.service.js';
import type { DocuSignEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { bootApp, docusignAt, seedConnections, startLifecycleEmulator } from './lifecycle-fixtures.js';

const DAY = 86_400_000;

describe('SigningAuthSweeper.runOnce (the refresh as a job; DocuSign emulator with rotation and reuse detection)', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let app: TestingModule;
  let dataSource: DataSource;
  const events: { name: string; payload: Record<string, unknown> }[] = [];
  const key = newKey('k1');
  const options = (sweep: { batchSize?: number; concurrency?: number } = {}) => ({
    ...docusignAt(emu),
    sweep: { enabled: false, batchSize: 20, concurrency: 5, ...sweep },
    observer: { onEvent: (name: string, payload: Record<string, unknown>) => events.push({ name, payload }) },
  });
  /** Connected 11 days ago: the refresh token is due for renewal (after a third of its 30 days). */
  const seedDue = (prefix: string, count: number) =>
    seedConnections(app, emu, { prefix, count, now: new Date(Date.now() - 11 * DAY) });
  const refreshRequests = () => emu.stats.tokenRequests.refresh_token ?? 0;
  const sweepEvents = () => events.filter((e) => e.name === SigningAuthEvent.SweepCompleted);
  const rows = (tenants: string[]) =>
    dataSource.query(`SELECT * FROM signing_auth_connections WHERE tenant_id = ANY($1) ORDER BY tenant_id`, [
      tenants,
    ]) as Promise<Record<string, unknown>[]>;
  const dueCount = async (tenants: string[]) =>
    Number(
      (
        await dataSource.query(
          `SELECT count(*)::int AS n FROM signing_auth_connections
            WHERE tenant_id = ANY($1) AND next_refresh_at <= now() AND status IN ('active', 'error')`,
          [tenants],
        )
      )[0].n,
    );

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

  it('refreshes every due connection once and reports each outcome by class', async () => {
    const due = await seedDue('pass', 20);
    const fresh = await seedConnections(app, emu, { prefix: 'pass-fresh', count: 3, now: new Date() });
    const [revoked, flaky, broken] = await seedDue('pass-bad', 3);
    const cipher = app.get(ConnectionCipher);
    // A refresh token the provider does not know: invalid_grant → needs re-authorization.
    await dataSource.query(
      `UPDATE signing_auth_connections SET refresh_token_ciphertext = $2 WHERE tenant_id = $1`,
      [revoked, cipher.encrypt(revoked, 'docusign', 'refreshTokenCiphertext', 'no-such-refresh-token')],
    );
    // The provider answers 503 for this one connection: transient. Its access token is still valid, so a
    // refresh that may hand back the old token would look like "nothing to do" — the report must say failed.
    await dataSource.query(
      `UPDATE signing_auth_connections SET access_token_expires_at = now() + interval '1 hour' WHERE tenant_id = $1`,
      [flaky],
    );
    const flakyRow = await dataSource.getRepository(ConnectionEntity).findOneByOrFail({ tenantId: flaky });
    const flakyToken = cipher.decryptRow(flakyRow).refreshToken;
    emu.failNext(
      { status: 503 },
      1,
      (req) => (req.body as Record<string, string>)?.refresh_token === flakyToken,
    );
    // A ciphertext copied from another row (associated data mismatch): undecryptable.
    await dataSource.query(
      `UPDATE signing_auth_connections SET refresh_token_ciphertext =
         (SELECT refresh_token_ciphertext FROM signing_auth_connections WHERE tenant_id = $2) WHERE tenant_id = $1`,
      [broken, due[0]],
    );
    await dataSource.query(
      `INSERT INTO signing_auth_pending_authorizations
         (id, state_hash, tenant_id, provider, code_verifier_ciphertext, redirect_uri, expires_at)
       VALUES (gen_random_uuid(), 'abandoned', 't', 'docusign', 'x', 'http://cb', $1)`,
      [new Date(Date.now() - 2 * DAY)],
    );
    const before = refreshRequests();
    const injectedBefore = emu.stats.injectedFailures;
    events.length = 0;

    const report = await app.get(SigningAuthSweeper).runOnce();

    expect(report).toMatchObject({
      trigger: 'job',
      dryRun: false,
      examined: 23,
      refreshed: 20,
      upToDate: 0,
      skipped: 0,
      failedTransient: 1,
      failedNeedsReauth: 1,
      failedUndecryptable: 1,
      failedOther: 0,
      refreshTokensRenewed: 20,
      expiredAuthorizationsRemoved: 1,
      leftDue: 0,
      stoppedEarly: false,
    });
    expect(report.failures.map((f) => [f.tenantId, f.class]).sort()).toEqual(
      [
        [revoked, 'needs_reauth'],
        [flaky, 'transient'],
        [broken, 'undecryptable'],
      ].sort(),
    );
    expect(JSON.stringify(report)).not.toContain(flakyToken);
    // One provider call per connection that could be read: 21 answered, 1 failed by injection. The
    // undecryptable one never reaches the provider.
    expect(refreshRequests() - before).toBe(21);
    expect(emu.stats.injectedFailures - injectedBefore).toBe(1);
    expect(emu.stats.reuseDetections).toBe(0);
    expect(sweepEvents()).toEqual([{ name: 'sweep.completed', payload: report }]);
    const after = await rows([...due, ...fresh]);
    expect(after.every((r) => r.status === 'active' && r.lease_owner === null)).toBe(true);
    expect(await dueCount(due)).toBe(0);
    expect((await rows([revoked]))[0].status).toBe('needs_reauth');
    expect((await rows([flaky]))[0].status).toBe('error');
  });

  it('two jobs and an app replica sweeping at once refresh each connection exactly once', async () => {
    // The app replica's cron pass takes everything due: nothing but this test's connections may be.
    await dataSource.query(`UPDATE signing_auth_connections SET next_refresh_at = now() + interval '1 year'`);
    const due = await seedDue('overlap', 90);
    const second = await bootApp(db, key, options());
    const replica = await bootApp(db, key, options());
    const before = refreshRequests();
    try {
      const scope = { tenantIds: due };
      const [a, b, cron] = await Promise.all([
        app.get(SigningAuthSweeper).runOnce(scope),
        second.app.get(SigningAuthSweeper).runOnce(scope),
        replica.app.get(RefreshSweepService).run(),
      ]);
      expect(a.refreshed + b.refreshed + cron.refreshed).toBe(90);
      expect(refreshRequests() - before).toBe(90);
      expect(emu.stats.reuseDetections).toBe(0);
      expect(a.failures).toEqual([]);
      expect(b.failures).toEqual([]);
      expect(await dueCount(due)).toBe(0);
      expect((await rows(due)).every((r) => r.status === 'active')).toBe(true);
    } finally {
      await second.app.close();
      await replica.app.close();
    }
  });

  it('dryRun lists what is due and why, and changes nothing', async () => {
    const due = await seedDue('dry', 4);
    await dataSource.query(
      `INSERT INTO signing_auth_pending_authorizations
         (id, state_hash, tenant_id, provider, code_verifier_ciphertext, redirect_uri, expires_at)
       VALUES (gen_random_uuid(), 'abandoned-dry', 't', 'docusign', 'x', 'http://cb', $1)`,
      [new Date(Date.now() - 2 * DAY)],
    );
    const snapshot = await rows(due);
    const pending = await dataSource.query(`SELECT * FROM signing_auth_pending_authorizations ORDER BY id`);
    const requests = emu.stats.requests;

    const report = await app.get(SigningAuthSweeper).runOnce({ dryRun: true, tenantIds: due });

    expect(report).toMatchObject({
      dryRun: true,
      examined: 4,
      refreshed: 0,
      expiredAuthorizationsRemoved: 1,
    });
    expect(report.due!.map((d) => d.tenantId).sort()).toEqual([...due].sort());
    for (const entry of report.due!) expect(entry.reason).toMatch(/^refresh token renewal \(expires /);
    expect(await rows(due)).toEqual(snapshot);
    expect(await dataSource.query(`SELECT * FROM signing_auth_pending_authorizations ORDER BY id`)).toEqual(
      pending,
    );
    expect(emu.stats.requests).toBe(requests);
  });

  it('a time budget stops claiming and leaves the rest due; the next pass takes them', async () => {
    const due = await seedDue('budget', 30);
    // One call at a time, 150 ms each: a 600 ms budget cannot cover 30 of them.
    const slow = await bootApp(db, key, options({ batchSize: 10, concurrency: 1 }));
    emu.setLatency(150);
    try {
      const sweeper = slow.app.get(SigningAuthSweeper);
      const none = await sweeper.runOnce({ maxDurationMs: 0, tenantIds: due });
      expect(none).toMatchObject({ examined: 0, stoppedEarly: true, leftDue: 30 });

      const first = await sweeper.runOnce({ maxDurationMs: 600, tenantIds: due });
      expect(first.stoppedEarly).toBe(true);
      expect(first.refreshed).toBe(first.examined);
      expect(first.refreshed).toBeLessThan(30);
      expect(first.leftDue).toBe(30 - first.refreshed);
      expect(await dueCount(due)).toBe(30 - first.refreshed);
      // Claimed but not started rows were given back, not left leased.
      const leased = (await rows(due)).filter((r) => r.lease_owner !== null);
      expect(leased).toEqual([]);

      emu.setLatency(0);
      const rest = await sweeper.runOnce({ tenantIds: due });
      expect(rest).toMatchObject({ refreshed: 30 - first.refreshed, stoppedEarly: false, leftDue: 0 });
      expect(await dueCount(due)).toBe(0);
    } finally {
      emu.setLatency(0);
      await slow.app.close();
    }
  });

  it('filters by provider and tenant', async () => {
    const due = await seedDue('filter', 3);
    const sweeper = app.get(SigningAuthSweeper);
    const otherProvider = await sweeper.runOnce({ providers: ['signicat'], tenantIds: due });
    expect(otherProvider.examined).toBe(0);
    const one = await sweeper.runOnce({ providers: ['docusign'], tenantIds: [due[1]] });
    expect(one).toMatchObject({ examined: 1, refreshed: 1 });
    expect(await dueCount(due)).toBe(2);
  });

  it('feeds the sweep metrics, named like the report fields, from sweep.completed', async () => {
    const due = await seedDue('metrics', 4);
    const metered = await bootApp(db, key, { ...options(), metrics: true });
    try {
      const report = await metered.app.get(SigningAuthSweeper).runOnce({ tenantIds: due });
      expect(report.refreshed).toBe(4);
      const value = async (field: keyof typeof SigningAuthSweepMetricNames) =>
        (await register.getSingleMetric(SigningAuthSweepMetricNames[field])!.get()).values.find(
          (v) => v.labels.trigger === 'job' && !('le' in v.labels),
        )?.value;
      expect(await value('refreshed')).toBe(4);
      expect(await value('examined')).toBe(4);
      expect(await value('refreshTokensRenewed')).toBe(4);
      expect(await value('leftDue')).toBe(0);
      // A dry run changes nothing, so it counts nothing.
      await metered.app.get(SigningAuthSweeper).runOnce({ dryRun: true });
      expect(await value('examined')).toBe(4);
    } finally {
      await metered.app.close();
    }
  });

  it('rejects bad options with an error naming the option, before touching anything', async () => {
    const sweeper = app.get(SigningAuthSweeper);
    const bad: [object, string][] = [
      [{ maxDurationMs: -1 }, 'maxDurationMs'],
      [{ maxDurationMs: Number.NaN }, 'maxDurationMs'],
      [{ providers: [] }, 'providers'],
      [{ tenantIds: [''] }, 'tenantIds'],
      [{ dryRun: 'yes' }, 'dryRun'],
    ];
    for (const [options, option] of bad) {
      const error = await sweeper.runOnce(options as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SigningAuthSweepOptionsError);
      expect((error as SigningAuthSweepOptionsError).option).toBe(option);
    }
  });

  it('reports progress after each batch with counts that add up', async () => {
    const due = await seedDue('progress', 45);
    const seen: SigningAuthSweepReport[] = [];
    let dueAtStart = -1;
    const report = await app.get(SigningAuthSweeper).runOnce({
      tenantIds: due,
      onProgress: (p) => {
        dueAtStart = p.dueAtStart;
        seen.push({ ...p.report });
      },
    });
    expect(dueAtStart).toBe(45);
    // Start, three batches of at most 20, end.
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(seen.map((r) => r.examined)).toEqual([...seen.map((r) => r.examined)].sort((a, b) => a - b));
    expect(seen.at(-1)!.refreshed).toBe(45);
    expect(report.refreshed).toBe(45);
  });
});
