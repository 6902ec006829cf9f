import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('migrations', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource({ ...db.options, migrationsRun: false } as never);
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.close();
  });

  const tables = async (): Promise<string[]> =>
    (
      await dataSource.query(
        `SELECT table_name FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_name LIKE 'signing_auth_%' ORDER BY table_name`,
      )
    ).map((r: { table_name: string }) => r.table_name);

  it('create the schema from nothing, with the indexes the sweep reads, and roll back cleanly', async () => {
    expect(await tables()).toEqual([]);
    const applied = await dataSource.runMigrations();
    expect(applied.map((m) => m.name)).toEqual([
      'CreateSigningAuthTables1763800000000',
      'PendingAuthorizationKind1764700000000',
      'ConnectionCounts1765100000000',
      'ConnectSessions1766000000000',
      'SealConsentLinks1766100000000',
      'AppendOnlyCountsAndHotLeases1766200000000',
    ]);
    expect(await tables()).toEqual([
      'signing_auth_connect_sessions',
      'signing_auth_connection_counts',
      'signing_auth_connections',
      'signing_auth_pending_authorizations',
    ]);

    const indexes: Array<{ indexname: string; indexdef: string }> = await dataSource.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'signing_auth_connections'`,
    );
    const due = indexes.find((i) => i.indexname === 'signing_auth_connections_due_idx');
    expect(due?.indexdef).toMatch(/\(next_refresh_at\) WHERE/);
    expect(indexes.map((i) => i.indexname)).toEqual(
      expect.arrayContaining([
        'signing_auth_connections_tenant_provider_uq',
        'signing_auth_connections_unprocessable_idx',
      ]),
    );
    // No index covers a lease column, so claims and releases can be HOT updates (decision 031).
    expect(indexes.map((i) => i.indexname)).not.toContain('signing_auth_connections_lease_idx');
    expect(indexes.filter((i) => /lease_/.test(i.indexdef))).toEqual([]);
    const [{ reloptions }] = await dataSource.query(
      `SELECT reloptions FROM pg_class WHERE oid = 'signing_auth_connections'::regclass`,
    );
    expect(reloptions).toEqual(['fillfactor=85']);

    // Running again is a no-op.
    expect(await dataSource.runMigrations()).toEqual([]);

    await dataSource.undoLastMigration(); // AppendOnlyCountsAndHotLeases
    const restored: Array<{ indexname: string }> = await dataSource.query(
      `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()`,
    );
    expect(restored.map((i) => i.indexname)).toEqual(
      expect.arrayContaining(['signing_auth_connections_lease_idx', 'signing_auth_connection_counts_pk']),
    );
    await dataSource.undoLastMigration(); // SealConsentLinks: data only
    expect(await tables()).toHaveLength(4);
    await dataSource.undoLastMigration(); // ConnectSessions
    expect(await tables()).toHaveLength(3);
    await dataSource.undoLastMigration(); // ConnectionCounts
    expect(await tables()).toHaveLength(2);
    await dataSource.undoLastMigration();
    await dataSource.undoLastMigration();
    expect(await tables()).toEqual([]);
    await dataSource.runMigrations();
    expect(await tables()).toHaveLength(4);
  });

  it('let the database refuse an unknown status and a duplicate (tenant, provider)', async () => {
    const insert = (id: string, status: string) =>
      dataSource.query(
        `INSERT INTO signing_auth_connections (id, tenant_id, provider, status, grant_type, secrets_ciphertext)
         VALUES ($1, 't', 'p', $2, 'g', 'x')`,
        [id, status],
      );
    await expect(insert('00000000-0000-0000-0000-000000000001', 'sleeping')).rejects.toThrow(/status_ck/);
    await insert('00000000-0000-0000-0000-000000000002', 'active');
    await expect(insert('00000000-0000-0000-0000-000000000003', 'active')).rejects.toThrow(
      /tenant_provider_uq|duplicate/,
    );
  });
});
