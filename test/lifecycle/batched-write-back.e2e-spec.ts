import type { TestingModule } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import type { ConnectionEntity } from '../../libs/signing-auth/src/connections/connection.entity.js';
import { BatchedGrantWriter } from '../../libs/signing-auth/src/refresh/batched-grant-writer.js';
import { RefreshLeaseRepository } from '../../libs/signing-auth/src/refresh/refresh-lease.repository.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { bootApp } from './lifecycle-fixtures.js';

const OWNER = 'replica-a';
const COUNT = 30;

/**
 * Grants refreshed together are written back several to a statement, each row still fenced on its own
 * (lease owner and version), and a row whose write fails never fails its neighbours' writes.
 */
describe('batched write-back', () => {
  let db: TestDatabase;
  let app: TestingModule;
  let dataSource: DataSource;
  let writer: BatchedGrantWriter;
  let cipher: ConnectionCipher;
  let statements: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, dataSource } = await bootApp(db, newKey('k1'), {}));
    writer = app.get(BatchedGrantWriter);
    cipher = app.get(ConnectionCipher);
    const query = dataSource.query.bind(dataSource);
    // Every statement the library sends goes through DataSource.query: record them.
    dataSource.query = ((sql: string, params?: unknown[]) => {
      statements.push(sql);
      return query(sql, params);
    }) as DataSource['query'];
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  beforeEach(async () => {
    await dataSource.query(`DELETE FROM signing_auth_connections`);
    await dataSource.query(
      `INSERT INTO signing_auth_connections (id, tenant_id, provider, status, grant_type, config, secrets_ciphertext,
         lease_owner, lease_expires_at, version, refresh_token_ciphertext)
       SELECT gen_random_uuid(), 'batch-' || i, 'oauth2', 'error', 'authorization_code', '{}'::jsonb, 'x',
              $1, now() + interval '1 minute', 3, 'old'
         FROM generate_series(1, ${COUNT}) AS i`,
      [OWNER],
    );
    statements = [];
  });

  async function leasedRows(): Promise<ConnectionEntity[]> {
    const rows = await app.get(RefreshLeaseRepository).claimDue('nobody', new Date(0), 1, 0);
    expect(rows).toEqual([]); // all leased: nothing claimable
    const all = (await dataSource.query(
      `SELECT id, tenant_id AS "tenantId", provider, version FROM signing_auth_connections ORDER BY tenant_id`,
    )) as ConnectionEntity[];
    statements = [];
    return all;
  }

  function store(row: ConnectionEntity, owner = OWNER) {
    const now = new Date();
    return writer.storeRefreshed(
      row,
      owner,
      {
        accessToken: `at-${row.tenantId}`,
        refreshToken: `rt-${row.tenantId}`,
        tokenType: 'Bearer',
        expiresAt: new Date(now.getTime() + 3_600_000),
      },
      { now, nextRefreshAt: new Date(now.getTime() + 3_000_000), markUsed: true, refreshTokenIssuedAt: now },
    );
  }

  it('writes grants that arrive together in fewer statements than grants, each fenced on its own', async () => {
    const rows = await leasedRows();
    const stale = { ...rows[1], version: 2 } as ConnectionEntity; // someone wrote since it was read
    const results = await Promise.all([
      store(rows[0], 'replica-b'), // not the lease holder
      store(stale),
      ...rows.slice(2).map((row) => store(row)),
    ]);
    expect(results.slice(0, 2)).toEqual([null, null]);
    expect(results.slice(2)).toEqual(rows.slice(2).map(() => 4));
    const writes = statements.filter((sql) => sql.includes('UPDATE "signing_auth_connections"'));
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.length).toBeLessThanOrEqual(3);

    const stored = (await dataSource.query(
      `SELECT tenant_id, status, version, lease_owner, access_token_ciphertext, refresh_token_ciphertext, last_used_at
         FROM signing_auth_connections ORDER BY tenant_id`,
    )) as Record<string, unknown>[];
    const byTenant = new Map(stored.map((r) => [r.tenant_id as string, r]));
    for (const row of rows.slice(0, 2)) {
      expect(byTenant.get(row.tenantId)).toMatchObject({ status: 'error', version: 3, lease_owner: OWNER });
    }
    for (const row of rows.slice(2)) {
      const written = byTenant.get(row.tenantId)!;
      expect(written).toMatchObject({ status: 'active', version: 4, lease_owner: null });
      expect(written.last_used_at).not.toBeNull();
      const decrypt = (column: 'accessTokenCiphertext' | 'refreshTokenCiphertext', field: string) =>
        cipher.decrypt(row.tenantId, 'oauth2', column, written[field] as string);
      expect(decrypt('accessTokenCiphertext', 'access_token_ciphertext')).toBe(`at-${row.tenantId}`);
      expect(decrypt('refreshTokenCiphertext', 'refresh_token_ciphertext')).toBe(`rt-${row.tenantId}`);
    }
  });

  it('a row whose write fails fails alone: its batch is written again row by row', async () => {
    const rows = await leasedRows();
    const poisoned = rows[5];
    await dataSource.query(`
      CREATE FUNCTION fail_one_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id = '${poisoned.id}' THEN RAISE EXCEPTION 'injected write fault'; END IF;
        RETURN NEW;
      END $$`);
    await dataSource.query(`CREATE TRIGGER fail_one_write BEFORE UPDATE ON signing_auth_connections
      FOR EACH ROW EXECUTE FUNCTION fail_one_write()`);
    try {
      const results = await Promise.allSettled(rows.map((row) => store(row)));
      expect(results[5]).toMatchObject({ status: 'rejected' });
      const others = results.filter((_, i) => i !== 5);
      expect(others.every((r) => r.status === 'fulfilled' && r.value === 4)).toBe(true);
    } finally {
      await dataSource.query(`DROP TRIGGER IF EXISTS fail_one_write ON signing_auth_connections`);
      await dataSource.query(`DROP FUNCTION IF EXISTS fail_one_write()`);
    }
  });
});
