import type { TestingModule } from '@nestjs/testing';
import { TokenService } from 'signing-auth';
import type { DataSource } from 'typeorm';
import { TokenCache } from '../../libs/signing-auth/src/tokens/token-cache.js';
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

const YEAR = 366 * 86_400_000;

async function until(what: string, condition: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A rotating provider (DocuSign emulator: a refresh token presented twice revokes the grant) answered and
 * rotated the refresh token: whatever goes wrong afterwards, the new refresh token must reach the database.
 */
describe('a received refresh token is never dropped', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let app: TestingModule;
  let dataSource: DataSource;
  let tokens: TokenService;

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
    ({ app, dataSource } = await bootApp(db, newKey('k1'), docusignAt(emu)));
    tokens = app.get(TokenService);
  });

  afterAll(async () => {
    await app?.close();
    await emu?.close();
    await db?.close();
  });

  /** The stored refresh token is the live one: a forced refresh with it works and nothing is reused. */
  async function storedRefreshTokenIsLive(tenant: string): Promise<void> {
    const reuseBefore = emu.stats.reuseDetections;
    const view = await tokens.refreshNow(tenant, 'docusign');
    expect(view).toMatchObject({ status: 'active', lastError: null });
    expect(emu.stats.reuseDetections).toBe(reuseBefore);
  }

  it.each([
    ['a 43-character token_type', { token_type: 'x'.repeat(43) }],
    ['expires_in 1e13', { expires_in: 1e13 }],
    [
      'both, and a negative refresh_token_expires_in',
      { token_type: 'y'.repeat(43), expires_in: 1e13, refresh_token_expires_in: -5 },
    ],
    ['expires_in as a huge string', { expires_in: '9'.repeat(40) }],
  ])(
    'provider answers with %s: the new refresh token is stored, the row stays consistent',
    async (_label, odd) => {
      const [tenant] = await seedConnections(app, emu, {
        prefix: `odd${Object.keys(odd).length}${String(Object.values(odd)[0]).length}`,
        count: 1,
        now: new Date(),
        accessExpired: true,
      });
      const before = await readRow(dataSource, tenant);
      emu.failNext({ rewrite: (body) => ({ ...body, ...odd }) }, 1, (req) => req.path === '/oauth/token');
      const token = await tokens.getAccessToken(tenant, 'docusign');
      expect(emu.isAccessTokenValid(token.accessToken)).toBe(true);
      expect(token.tokenType).toBe('Bearer');
      const after = await readRow(dataSource, tenant);
      expect(after).toMatchObject({
        status: 'active',
        lease_owner: null,
        failure_count: 0,
        last_error: null,
      });
      expect(after.refresh_token_ciphertext).not.toBe(before.refresh_token_ciphertext);
      const expiresAt = new Date(after.access_token_expires_at as string).getTime();
      expect(expiresAt).toBeGreaterThan(Date.now());
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + YEAR);
      await storedRefreshTokenIsLive(tenant);
    },
  );

  (DATABASE_URL ? it : it.skip)(
    'the database fails the write-back 5 times: the new grant is served from memory and written later',
    async () => {
      const [tenant] = await seedConnections(app, emu, {
        prefix: 'fault',
        count: 1,
        now: new Date(),
        accessExpired: true,
      });
      const before = await readRow(dataSource, tenant);
      // A real database fault at the write: a trigger rejects the next 5 updates that change the refresh
      // token (a sequence counts them: it is not rolled back with the failed statement).
      await dataSource.query(`CREATE SEQUENCE write_faults`);
      await dataSource.query(`
        CREATE FUNCTION fail_refresh_writes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.refresh_token_ciphertext IS DISTINCT FROM OLD.refresh_token_ciphertext
             AND nextval('write_faults') <= 5 THEN
            RAISE EXCEPTION 'injected write fault';
          END IF;
          RETURN NEW;
        END $$`);
      await dataSource.query(`
        CREATE TRIGGER fail_refresh_writes BEFORE UPDATE ON signing_auth_connections
        FOR EACH ROW WHEN (NEW.tenant_id LIKE 'fault-%') EXECUTE FUNCTION fail_refresh_writes()`);
      try {
        const refreshesBefore = emu.stats.tokenRequests.refresh_token ?? 0;
        const token = await tokens.getAccessToken(tenant, 'docusign');
        expect(emu.isAccessTokenValid(token.accessToken)).toBe(true);
        // Served again from memory while the database still refuses the write, even with the cache
        // emptied (the stored row still holds the expired token): no second provider call.
        app.get(TokenCache).clear();
        expect((await tokens.getAccessToken(tenant, 'docusign')).accessToken).toBe(token.accessToken);
        expect((emu.stats.tokenRequests.refresh_token ?? 0) - refreshesBefore).toBe(1);
        await until('the new refresh token is written', async () => {
          const row = await readRow(dataSource, tenant);
          return row.refresh_token_ciphertext !== before.refresh_token_ciphertext;
        });
        expect(await readRow(dataSource, tenant)).toMatchObject({ status: 'active', lease_owner: null });
        const [{ n }] = await dataSource.query(`SELECT last_value AS n FROM write_faults`);
        expect(Number(n)).toBeGreaterThan(5);
        await storedRefreshTokenIsLive(tenant);
      } finally {
        await dataSource.query(`DROP TRIGGER IF EXISTS fail_refresh_writes ON signing_auth_connections`);
      }
    },
    40_000,
  );
});
