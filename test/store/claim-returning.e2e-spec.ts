import { DataSource, type Logger } from 'typeorm';
import { ConnectionEntity } from '../../libs/signing-auth/src/connections/connection.entity.js';
import type { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import { RefreshLeaseRepository } from '../../libs/signing-auth/src/refresh/refresh-lease.repository.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * A claim is one statement: the rows come back from the claiming `UPDATE … RETURNING`, not from a second
 * read (`findBy`) — and they are the same entities a read would give, value for value (dates, JSON,
 * numbers, nulls), so nothing downstream sees a difference.
 */
describe('claims return their rows from the claiming statement', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let leases: RefreshLeaseRepository;
  const sent: string[] = [];
  const logger: Logger = {
    logQuery: (query) => void sent.push(query),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  const due = new Date('2026-01-01T00:00:00Z');

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource({ ...db.options, logging: ['query'], logger });
    await dataSource.initialize();
    // The cipher is not used by claims (nothing is decrypted or encrypted there).
    leases = new RefreshLeaseRepository(dataSource, {} as ConnectionCipher);
    await dataSource.query(
      `INSERT INTO "signing_auth_connections" ("id", "tenant_id", "provider", "status", "grant_type", "scopes",
         "config", "secrets_ciphertext", "access_token_ciphertext", "token_type", "access_token_expires_at",
         "next_refresh_at", "failure_count", "last_error", "metadata", "version")
       SELECT gen_random_uuid(), 'tenant-' || g, 'oauth2', CASE WHEN g % 2 = 0 THEN 'active' ELSE 'error' END,
         'client_credentials', '["a","b"]'::jsonb, '{"clientId":"c"}'::jsonb, 'secret-ct', 'access-ct', 'Bearer',
         $1::timestamptz + g * interval '1 minute', $1::timestamptz - g * interval '1 second', g, 'boom ' || g,
         jsonb_build_object('n', g), g
         FROM generate_series(1, 6) AS g`,
      [due],
    );
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.close();
  });

  const read = (id: string) => dataSource.getRepository(ConnectionEntity).findOneByOrFail({ id });

  it('claimDue: one statement, rows equal to a fresh read', async () => {
    sent.length = 0;
    const claimed = await leases.claimDue('owner-1', new Date('2026-02-01T00:00:00Z'), 30_000, 4);
    expect(sent).toHaveLength(1);
    expect(claimed).toHaveLength(4);
    for (const row of claimed) {
      expect(row).toBeInstanceOf(ConnectionEntity);
      expect(row).toEqual(await read(row.id));
      expect(row.leaseOwner).toBe('owner-1');
      expect(leases.leaseLeftMs(row)).toBeGreaterThan(20_000);
    }
  });

  it('claim: one statement, the row equal to a fresh read; null when held', async () => {
    sent.length = 0;
    const row = await leases.claim('tenant-1', 'oauth2', 'owner-2', 30_000);
    expect(sent).toHaveLength(1);
    expect(row).toEqual(await read(row!.id));
    expect(row).toMatchObject({
      tenantId: 'tenant-1',
      leaseOwner: 'owner-2',
      scopes: ['a', 'b'],
      version: 1,
    });
    expect(row!.nextRefreshAt).toBeInstanceOf(Date);
    expect(await leases.claim('tenant-1', 'oauth2', 'owner-3', 30_000)).toBeNull();
  });
});
