import type { TestingModule } from '@nestjs/testing';
import { ConnectionsService, TokenService } from 'signing-auth';
import type { DataSource } from 'typeorm';
import type { DocuSignEmulator } from '../emulators/index.js';
import { createTestDatabase, DATABASE_URL, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import {
  bootApp,
  docusignAt,
  readRow,
  seedConnections,
  startLifecycleEmulator,
} from './lifecycle-fixtures.js';

/**
 * PostgreSQL's NOTIFY queue is full (a listening session stuck in a long transaction holds it): every
 * transaction that sends a notification fails at COMMIT with SQLSTATE 54000. The refresh write-back must
 * still land — the provider has answered, a rotating provider has spent the old refresh token — and only the
 * notification (which merely shortens how long other replicas serve the replaced token) may be lost.
 *
 * The real condition needs the queue's 8 GB filled on PostgreSQL 15 (its size is fixed at compile time
 * before version 17; `max_notify_queue_pages` is a server setting from 17 on, not settable per session): not
 * something a test on a shared server can do. So the failure is reproduced as the server produces it, at
 * commit, with its code and message: the app's sessions put their own schema before `pg_catalog` on the
 * search path, where a `pg_notify(text, text)` of the test's queues a deferred constraint trigger that
 * raises `too many notifications in the NOTIFY queue` (54000) when the transaction commits.
 */
(DATABASE_URL ? describe : describe.skip)('a full NOTIFY queue', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let app: TestingModule;
  let dataSource: DataSource;
  let tokens: TokenService;

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
    const shadowed: TestDatabase = {
      ...db,
      options: { ...db.options, extra: { options: `-c search_path=${db.schema},pg_catalog` } },
    };
    ({ app, dataSource } = await bootApp(shadowed, newKey('k1'), docusignAt(emu)));
    tokens = app.get(TokenService);
    await dataSource.query(`CREATE TABLE notify_queue (full_since timestamptz)`);
    await dataSource.query(`CREATE TABLE notify_sent (channel text, payload text)`);
    await dataSource.query(`
      CREATE FUNCTION notify_queue_full() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'too many notifications in the NOTIFY queue' USING ERRCODE = '54000';
      END $$`);
    await dataSource.query(`
      CREATE CONSTRAINT TRIGGER notify_queue_full AFTER INSERT ON notify_sent
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION notify_queue_full()`);
    await dataSource.query(`
      CREATE FUNCTION pg_notify(channel text, payload text) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT FROM notify_queue) THEN
          INSERT INTO notify_sent VALUES (channel, payload);
        ELSE
          PERFORM pg_catalog.pg_notify(channel, payload);
        END IF;
      END $$`);
  });

  afterAll(async () => {
    await app?.close();
    await emu?.close();
    await db?.close();
  });

  it('a refresh the provider answered is written back; only the notification is lost', async () => {
    const [tenant] = await seedConnections(app, emu, {
      prefix: 'queue-full',
      count: 1,
      now: new Date(),
      accessExpired: true,
    });
    const before = await readRow(dataSource, tenant);
    // The shadow is in place: a statement that notifies fails at commit, with the server's code.
    await dataSource.query(`INSERT INTO notify_queue VALUES (now())`);
    await expect(
      dataSource.query(`SELECT pg_notify('signing_auth_token_changed', 'x')`),
    ).rejects.toMatchObject({ code: '54000' });

    const refreshesBefore = emu.stats.tokenRequests.refresh_token ?? 0;
    const token = await tokens.getAccessToken(tenant, 'docusign');
    expect(emu.isAccessTokenValid(token.accessToken)).toBe(true);
    expect((emu.stats.tokenRequests.refresh_token ?? 0) - refreshesBefore).toBe(1);
    // Written by the time the caller has its token: not parked in memory, waiting for retries.
    const after = await readRow(dataSource, tenant);
    expect(after).toMatchObject({ status: 'active', lease_owner: null, failure_count: 0 });
    expect(after.refresh_token_ciphertext).not.toBe(before.refresh_token_ciphertext);
    expect(Number(after.version)).toBe(Number(before.version) + 1);
    // Nothing was sent: every notifying transaction failed.
    expect(await dataSource.query(`SELECT * FROM notify_sent`)).toEqual([]);

    // The queue drains: the stored refresh token is the live one (a second refresh, no reuse detected).
    await dataSource.query(`DELETE FROM notify_queue`);
    const reuseBefore = emu.stats.reuseDetections;
    expect(await tokens.refreshNow(tenant, 'docusign')).toMatchObject({ status: 'active', lastError: null });
    expect(emu.stats.reuseDetections).toBe(reuseBefore);
  }, 30_000);

  it('deleting a connection succeeds; the notification that follows the commit is what fails', async () => {
    const [tenant] = await seedConnections(app, emu, {
      prefix: 'queue-full-delete',
      count: 1,
      now: new Date(),
    });
    await dataSource.query(`INSERT INTO notify_queue VALUES (now())`);
    try {
      await expect(app.get(ConnectionsService).delete(tenant, 'docusign')).resolves.toBeUndefined();
      expect(await readRow(dataSource, tenant)).toBeUndefined();
    } finally {
      await dataSource.query(`DELETE FROM notify_queue`);
    }
  }, 30_000);
});
