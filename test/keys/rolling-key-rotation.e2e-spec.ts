import { ConfigService } from '@nestjs/config';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { KeyRotationService, SigningAuthModule, TokenService } from 'signing-auth';
import { validateAppConfig } from '../../src/config/app-config.js';
import { signingAuthOptions } from '../../src/config/module-factories.js';
import type { DocuSignEmulator } from '../emulators/index.js';
import {
  bootApp,
  docusignAt,
  seedConnections,
  startLifecycleEmulator,
} from '../lifecycle/lifecycle-fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

/**
 * The rotation order of docs/reliability.md ("Key rotation (rolling deploys)"), one deploy at a time, with
 * replicas of the previous deploy still running: each replica is the example app's configuration built from
 * the environment an operator sets (SIGNING_AUTH_ENCRYPTION_KEYS, SIGNING_AUTH_ACTIVE_KEY_ID).
 */
describe('key rotation that a rolling deploy survives', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let seeder: TestingModule;
  const apps: TestingModule[] = [];
  const k1 = newKey('k1');
  const k2 = newKey('k2');
  const entry = (k: { id: string; key: unknown }) => `${k.id}:${k.key as string}`;

  /** One replica, configured the way the example app reads its environment. */
  async function replica(env: Record<string, string>): Promise<TestingModule> {
    const config = new ConfigService({
      app: validateAppConfig({
        SIGNING_AUTH_ADMIN_TOKENS: 'unused-admin-token',
        SIGNING_AUTH_DOCUSIGN_OAUTH_URL: emu.url,
        ...env,
      }),
    });
    const app = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        SigningAuthModule.forRoot({
          ...signingAuthOptions(config),
          sweep: { enabled: false },
          metrics: false, // several apps in one test process would register the same metrics twice
        }),
      ],
    }).compile();
    await app.init();
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
    ({ app: seeder } = await bootApp(db, k1, docusignAt(emu)));
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await seeder?.close();
    await emu?.close();
    await db?.close();
  });

  it('add for decryption → switch active → rotate → remove: every replica of the previous step keeps working', async () => {
    const tenants = await seedConnections(seeder, emu, { prefix: 'roll', count: 4, now: new Date() });
    const reuseBefore = emu.stats.reuseDetections;
    const old = (await replica({ SIGNING_AUTH_ENCRYPTION_KEYS: entry(k1) })).get(TokenService);

    // Step 1: the new key first in the list, the active key pinned to the old one.
    const step1 = (
      await replica({
        SIGNING_AUTH_ENCRYPTION_KEYS: `${entry(k2)},${entry(k1)}`,
        SIGNING_AUTH_ACTIVE_KEY_ID: 'k1',
      })
    ).get(TokenService);
    await step1.refreshNow(tenants[0], 'docusign');
    // A replica still on the old keyring reads and refreshes what the step-1 replica wrote.
    expect((await old.getAccessToken(tenants[0], 'docusign')).accessToken).toBeTruthy();
    await old.refreshNow(tenants[0], 'docusign');
    expect(await keyIdsOf(tenants[0])).toEqual(['k1']);

    // Step 2 (once every replica runs step 1): drop the pin, the new key encrypts.
    const step2 = (await replica({ SIGNING_AUTH_ENCRYPTION_KEYS: `${entry(k2)},${entry(k1)}` })).get(
      TokenService,
    );
    await step2.refreshNow(tenants[1], 'docusign');
    expect(await keyIdsOf(tenants[1])).toEqual(['k2']);
    await step1.refreshNow(tenants[1], 'docusign');
    expect((await step1.getAccessToken(tenants[1], 'docusign')).accessToken).toBeTruthy();

    // Step 3: rotate; the report ends with nothing left under other keys.
    const rotation = apps[apps.length - 1].get(KeyRotationService);
    const report = await rotation.rotate();
    expect(report.failures).toEqual([]);
    expect(report.valuesUnderOtherKeys).toBe(0);
    const connections = report.tables.find((t) => t.table === 'signing_auth_connections')!;
    expect(connections.rowsScanned).toBe(4);
    expect(connections.reencryptedByKeyId.k1).toBeGreaterThan(0);
    expect(report.remaining).toEqual([{ table: 'signing_auth_connections', keyId: 'k2', values: 4 * 3 }]);

    // Step 4: the old key removed; every connection still works.
    const step4 = (await replica({ SIGNING_AUTH_ENCRYPTION_KEYS: entry(k2) })).get(TokenService);
    for (const tenant of tenants) await step4.refreshNow(tenant, 'docusign');
    expect(emu.stats.reuseDetections).toBe(reuseBefore);
  });

  it('a second run of the rotation re-encrypts nothing and reports per table, not running totals', async () => {
    const app = await replica({ SIGNING_AUTH_ENCRYPTION_KEYS: `${entry(k2)},${entry(k1)}` });
    const report = await app.get(KeyRotationService).rotate({ batchSize: 2 });
    expect(report.valuesReencrypted).toBe(0);
    expect(report.tables).toEqual([
      { table: 'signing_auth_connections', rowsScanned: 4, reencryptedByKeyId: {} },
      { table: 'signing_auth_pending_authorizations', rowsScanned: 0, reencryptedByKeyId: {} },
    ]);
    expect(report.valuesUnderOtherKeys).toBe(0);
  });

  async function keyIdsOf(tenantId: string): Promise<string[]> {
    const dataSource = seeder.get<DataSource>(getDataSourceToken());
    const [row] = await dataSource.query(
      `SELECT access_token_ciphertext a, refresh_token_ciphertext r FROM signing_auth_connections WHERE tenant_id = $1`,
      [tenantId],
    );
    return [...new Set([row.a, row.r].map((v: string) => v.split('.')[1]))];
  }
});
