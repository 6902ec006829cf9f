import type { TestingModule } from '@nestjs/testing';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { RefreshSweepService } from '../../libs/signing-auth/src/refresh/refresh-sweep.service.js';
import type { DocuSignEmulator } from '../emulators/index.js';
import { createTestDatabase, DATABASE_URL, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { bootApp, docusignAt, seedConnections, startLifecycleEmulator } from './lifecycle-fixtures.js';

/**
 * The sweep's concurrency bounds provider calls, not write-backs: once a row's provider call is over, its
 * slot goes to the next row while the write-back completes (before, at concurrency 5 a refresh waited for
 * its own write before the worker took the next row, so every write's round trip added to the pass). The
 * batch still ends only when every write is done. Here the database holds each refresh write until the test
 * lets go (a trigger waits on an advisory lock the test holds): at concurrency 1, the second row's provider
 * call must start while the first row's write is still held.
 */
(DATABASE_URL ? describe : describe.skip)('sweep: a write-back does not hold the provider-call slot', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let app: TestingModule;
  let dataSource: DataSource;
  let gate: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
    ({ app, dataSource } = await bootApp(db, newKey('k1'), {
      ...docusignAt(emu),
      sweep: { enabled: false, concurrency: 1, batchSize: 10 },
    }));
    gate = new pg.Client({ connectionString: db.url });
    await gate.connect();
  });

  afterAll(async () => {
    await gate?.end().catch(() => undefined);
    await app?.close();
    await emu?.close();
    await db?.close();
  });

  it('at concurrency 1, the next provider call starts while the previous write is held; both rows written once', async () => {
    await seedConnections(app, emu, { prefix: 'overlap', count: 2, now: new Date() });
    // Due now: the refresh token is two thirds through its 30-day life (renewal is due).
    await dataSource.query(
      `UPDATE signing_auth_connections SET next_refresh_at = now() - interval '1 minute',
          refresh_token_issued_at = now() - interval '20 days' WHERE tenant_id LIKE 'overlap-%'`,
    );
    await dataSource.query(`
      CREATE FUNCTION hold_refresh_writes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.refresh_token_ciphertext IS DISTINCT FROM OLD.refresh_token_ciphertext THEN
          PERFORM pg_advisory_xact_lock_shared(4242);
        END IF;
        RETURN NEW;
      END $$`);
    await dataSource.query(`
      CREATE TRIGGER hold_refresh_writes BEFORE UPDATE ON signing_auth_connections
      FOR EACH ROW EXECUTE FUNCTION hold_refresh_writes()`);
    await gate.query('SELECT pg_advisory_lock(4242)');
    const refreshes = () => emu.stats.tokenRequests.refresh_token ?? 0;
    const before = refreshes();
    const pass = app.get(RefreshSweepService).run();
    try {
      const deadline = Date.now() + 10_000;
      while (refreshes() - before < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(refreshes() - before).toBe(2);
      // Neither write has landed: both are held by the gate.
      const [{ written }] = await dataSource.query(
        `SELECT count(*)::int AS written FROM signing_auth_connections
          WHERE tenant_id LIKE 'overlap-%' AND next_refresh_at > now()`,
      );
      expect(written).toBe(0);
    } finally {
      await gate.query('SELECT pg_advisory_unlock(4242)');
    }
    const report = await pass;
    expect(report).toMatchObject({ refreshed: 2, failedTransient: 0, failedOther: 0 });
    expect(refreshes() - before).toBe(2);
    expect(emu.stats.reuseDetections).toBe(0);
    const rows = await dataSource.query(
      `SELECT lease_owner, next_refresh_at > now() AS rescheduled FROM signing_auth_connections
        WHERE tenant_id LIKE 'overlap-%'`,
    );
    expect(rows).toEqual([
      { lease_owner: null, rescheduled: true },
      { lease_owner: null, rescheduled: true },
    ]);
  }, 40_000);
});
