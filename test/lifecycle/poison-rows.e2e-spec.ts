import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import {
  SigningAuthHealthIndicator,
  SigningAuthUnprocessableConnectionError,
  TokenService,
  type SigningAuthObserver,
} from 'signing-auth';
import { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import { Keyring } from '../../libs/signing-auth/src/crypto/keyring.js';
import { SecretCipher } from '../../libs/signing-auth/src/crypto/secret-cipher.js';
import { RefreshSweepService } from '../../libs/signing-auth/src/refresh/refresh-sweep.service.js';
import { ADMIN_TOKEN, startAdminApp } from '../admin/admin-test-app.js';
import type { DocuSignEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import {
  bootApp,
  docusignAt,
  readRow,
  seedConnections,
  startLifecycleEmulator,
} from './lifecycle-fixtures.js';

const DAY = 86_400_000;

/** Rewrites a connection's secrets with a key the app's keyring does not hold (an old key removed too early). */
async function encryptUnderRemovedKey(dataSource: DataSource, tenantId: string, keyId = 'k0'): Promise<void> {
  const removed = new ConnectionCipher(new SecretCipher(new Keyring([newKey(keyId)])));
  await dataSource.query(
    `UPDATE signing_auth_connections SET secrets_ciphertext = $3, access_token_ciphertext = $4,
        refresh_token_ciphertext = $5 WHERE tenant_id = $1 AND provider = $2`,
    [
      tenantId,
      'docusign',
      removed.encryptSecrets(tenantId, 'docusign', { secretKey: 'x' }),
      removed.encrypt(tenantId, 'docusign', 'accessTokenCiphertext', 'old-access'),
      removed.encrypt(tenantId, 'docusign', 'refreshTokenCiphertext', 'old-refresh'),
    ],
  );
}

describe('poison rows: a row that cannot be processed is marked and never stalls the sweep', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let app: TestingModule;
  let dataSource: DataSource;
  const events: { name: string; payload: Record<string, unknown> }[] = [];
  const observer: SigningAuthObserver = { onEvent: (name, payload) => events.push({ name, payload }) };
  const now = () => new Date();

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
    ({ app, dataSource } = await bootApp(db, newKey('k1'), {
      ...docusignAt(emu),
      observer,
      clock: now,
      sweep: { enabled: false, batchSize: 2, concurrency: 2 },
    }));
  });

  afterAll(async () => {
    await app?.close();
    await emu?.close();
    await db?.close();
  });

  it('two rows under a removed key ahead of a healthy due row: run() ends, healthy row refreshed, bad rows marked', async () => {
    // All three renewals are due; the bad rows come first in the sweep's order.
    const [bad0, bad1] = await seedConnections(app, emu, {
      prefix: 'poison',
      count: 2,
      now: new Date(now().getTime() - 12 * DAY),
    });
    const [healthy] = await seedConnections(app, emu, {
      prefix: 'healthy',
      count: 1,
      now: new Date(now().getTime() - 11 * DAY),
    });
    await encryptUnderRemovedKey(dataSource, bad0);
    await encryptUnderRemovedKey(dataSource, bad1);
    const healthyBefore = await readRow(dataSource, healthy);
    const sweep = app.get(RefreshSweepService);

    const report = await Promise.race([
      sweep.run(),
      new Promise<never>((_, fail) =>
        setTimeout(() => fail(new Error('sweep.run() did not end')), 10_000).unref(),
      ),
    ]);
    expect(report).toMatchObject({ claimed: 3, refreshed: 1, failed: 2 });

    const healthyAfter = await readRow(dataSource, healthy);
    expect(healthyAfter).toMatchObject({ status: 'active', lease_owner: null, failure_count: 0 });
    expect(healthyAfter.refresh_token_ciphertext).not.toBe(healthyBefore.refresh_token_ciphertext);

    for (const tenant of [bad0, bad1]) {
      const row = await readRow(dataSource, tenant);
      expect(row).toMatchObject({ status: 'error', lease_owner: null, failure_count: 1 });
      expect(row.last_error).toContain('k0');
      expect(row.last_error).toMatch(/keyring has no key/);
      expect(new Date(row.next_refresh_at as string).getTime()).toBeGreaterThan(now().getTime());
      const event = events.find(
        (e) => e.name === 'connection.unprocessable' && e.payload.tenantId === tenant,
      );
      expect(event?.payload).toMatchObject({ provider: 'docusign', keyId: 'k0', reason: 'unknown_key' });
      expect(
        events.find((e) => e.name === 'token.refresh_failed' && e.payload.tenantId === tenant)?.payload,
      ).toMatchObject({ kind: 'unprocessable', trigger: 'sweep' });
    }
    // Nothing secret in what was reported.
    expect(JSON.stringify(events)).not.toContain('old-refresh');

    // The bad rows wait for their backoff: the next run claims nothing.
    expect(await sweep.run()).toMatchObject({ claimed: 0 });

    const health = await app.get(SigningAuthHealthIndicator).isHealthy('signingAuth');
    expect(health.signingAuth).toMatchObject({ failing: 2, unprocessable: 2 });
  }, 30_000);

  it('a run claims each row at most once even when every row of a batch is unprocessable', async () => {
    const tenants = await seedConnections(app, emu, {
      prefix: 'many',
      count: 7,
      now: new Date(now().getTime() - 13 * DAY),
    });
    for (const t of tenants) await encryptUnderRemovedKey(dataSource, t, 'k9');
    // One row whose provider's custom strategy was removed, one with unreadable ciphertext.
    const [gone] = await seedConnections(app, emu, {
      prefix: 'gone',
      count: 1,
      provider: 'removed-custom',
      now: new Date(now().getTime() - 13 * DAY),
    });
    const [garbled] = await seedConnections(app, emu, {
      prefix: 'garbled',
      count: 1,
      now: new Date(now().getTime() - 13 * DAY),
    });
    await dataSource.query(
      `UPDATE signing_auth_connections SET refresh_token_ciphertext = 'not-a-ciphertext' WHERE tenant_id = $1`,
      [garbled],
    );
    const report = await app.get(RefreshSweepService).run();
    expect(report).toMatchObject({ claimed: 9, refreshed: 0, failed: 9 });
    expect(await readRow(dataSource, gone, 'removed-custom')).toMatchObject({
      status: 'error',
      last_error: expect.stringContaining('removed-custom'),
    });
    expect(await readRow(dataSource, garbled)).toMatchObject({
      status: 'error',
      last_error: expect.stringContaining('not in the signing-auth ciphertext format'),
    });
  }, 30_000);

  it('a run still ends when marking a poison row fails (the database refuses the write)', async () => {
    const tenants = await seedConnections(app, emu, {
      prefix: 'stuck',
      count: 2,
      now: new Date(now().getTime() - 14 * DAY),
    });
    for (const t of tenants) await encryptUnderRemovedKey(dataSource, t, 'k7');
    // Every attempt to mark these rows fails; giving the lease back (and rescheduling) still works.
    await dataSource.query(`
      CREATE FUNCTION refuse_error_status() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'error' THEN RAISE EXCEPTION 'injected write fault'; END IF;
        RETURN NEW;
      END $$`);
    await dataSource.query(`
      CREATE TRIGGER refuse_error_status BEFORE UPDATE ON signing_auth_connections
      FOR EACH ROW WHEN (NEW.tenant_id LIKE 'stuck-%') EXECUTE FUNCTION refuse_error_status()`);
    try {
      const report = await Promise.race([
        app.get(RefreshSweepService).run(),
        new Promise<never>((_, fail) =>
          setTimeout(() => fail(new Error('sweep.run() did not end')), 10_000).unref(),
        ),
      ]);
      // Each row: claimed, marking failed, lease released; claimed again, put off with a backoff.
      expect(report).toMatchObject({ claimed: 4, refreshed: 0, failed: 4 });
      for (const tenant of tenants) {
        const row = await readRow(dataSource, tenant);
        expect(row.lease_owner).toBeNull();
        expect(new Date(row.next_refresh_at as string).getTime()).toBeGreaterThan(now().getTime());
      }
    } finally {
      await dataSource.query(`DROP TRIGGER IF EXISTS refuse_error_status ON signing_auth_connections`);
    }
  }, 30_000);

  it('on demand: a typed error naming tenant, provider and the missing key id', async () => {
    const [tenant] = await seedConnections(app, emu, { prefix: 'ondemand', count: 1, now: now() });
    await encryptUnderRemovedKey(dataSource, tenant, 'k-old');
    const tokens = app.get(TokenService);
    const error = await tokens.getAccessToken(tenant, 'docusign').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningAuthUnprocessableConnectionError);
    expect(error).toMatchObject({ tenantId: tenant, provider: 'docusign', keyId: 'k-old' });
    expect((error as Error).message).toContain(tenant);
    expect((error as Error).message).toContain('docusign');
    expect((error as Error).message).toContain('"k-old"');
    expect(await readRow(dataSource, tenant)).toMatchObject({
      status: 'error',
      last_error: expect.stringContaining('k-old'),
    });
  });
});

describe('poison rows through the admin API', () => {
  it('POST .../refresh answers with the typed message, and the filter logs it', async () => {
    const emu = await startLifecycleEmulator();
    const admin = await startAdminApp({ ...docusignAt(emu), sweep: { enabled: false } });
    const logged: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
    try {
      const moduleRef = admin.app as unknown as TestingModule;
      const [tenant] = await seedConnections(moduleRef, emu, { prefix: 'admin', count: 1, now: new Date() });
      const { getDataSourceToken } = await import('@nestjs/typeorm');
      await encryptUnderRemovedKey(admin.app.get<DataSource>(getDataSourceToken()), tenant, 'k-gone');
      const res = await fetch(
        `${admin.baseUrl}/signing-auth/tenants/${tenant}/connections/docusign/refresh`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        },
      );
      const body = (await res.json()) as { statusCode: number; message: string };
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(body.message).toContain(tenant);
      expect(body.message).toContain('"k-gone"');
      expect(logged.some((line) => line.includes('"k-gone"') && line.includes(tenant))).toBe(true);
    } finally {
      spy.mockRestore();
      await admin.close();
      await emu.close();
    }
  });
});
