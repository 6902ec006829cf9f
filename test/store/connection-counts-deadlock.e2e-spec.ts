import pg from 'pg';
import { DataSource } from 'typeorm';
import { ConnectionHealthQuery } from '../../libs/signing-auth/src/health/connection-health.query.js';
import { createTestDatabase, DATABASE_URL, type TestDatabase } from '../support/test-database.js';

/**
 * The summary table's triggers must never make two writers deadlock (40P01) where the connections table
 * alone would not. Two transactions change the status of four different rows — no row of the connections
 * table is wanted by both — but of two providers, in opposite orders. With counters updated in place, the
 * first holds provider A's counter rows and waits for B's, the second holds B's and waits for A's.
 * Real PostgreSQL only: PGlite is one connection, so nothing there runs concurrently.
 */
(DATABASE_URL ? describe : describe.skip)('connection counts under crossing status changes', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource(db.options);
    await dataSource.initialize();
    await dataSource.query(
      `INSERT INTO "signing_auth_connections" ("id", "tenant_id", "provider", "status", "grant_type", "secrets_ciphertext")
       SELECT gen_random_uuid(), t, p, 'active', 'client_credentials', 'x'
         FROM unnest(ARRAY['t1', 't2']) AS t, unnest(ARRAY['oauth2', 'docusign']) AS p`,
    );
    for (let i = 0; i < 2; i++) {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      // Fail fast rather than wait for the server's deadlock detector only: a lock wait here is the defect.
      await client.query(`SET deadlock_timeout = '100ms'`);
      clients.push(client);
    }
  });

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await dataSource?.destroy();
    await db?.close();
  });

  const setStatus = (client: pg.Client, tenant: string, provider: string, status: string) =>
    client.query(
      `UPDATE "signing_auth_connections" SET "status" = $3 WHERE "tenant_id" = $1 AND "provider" = $2`,
      [tenant, provider, status],
    );

  it('two transactions changing statuses of two providers in opposite orders both commit', async () => {
    const [first, second] = clients;
    await first.query('BEGIN');
    await second.query('BEGIN');
    await setStatus(first, 't1', 'oauth2', 'error');
    await setStatus(second, 't1', 'docusign', 'error');
    // Each now wants the other provider's counters (different connection rows: t2, not t1).
    const crossing = Promise.allSettled([
      setStatus(first, 't2', 'docusign', 'needs_reauth').then(() => first.query('COMMIT')),
      setStatus(second, 't2', 'oauth2', 'needs_reauth').then(() => second.query('COMMIT')),
    ]);
    const outcomes = await crossing;
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status === 'rejected') await clients[i].query('ROLLBACK').catch(() => undefined);
    }
    const failures = outcomes
      .filter((o): o is PromiseRejectedResult => o.status === 'rejected')
      .map((o) => `${(o.reason as { code?: string }).code}: ${(o.reason as Error).message}`);
    expect(failures).toEqual([]);

    const counts = new ConnectionHealthQuery(dataSource);
    const byStatus = (await counts.countByStatus()).sort((a, b) =>
      `${a.provider}/${a.status}`.localeCompare(`${b.provider}/${b.status}`),
    );
    expect(byStatus).toEqual([
      { provider: 'docusign', status: 'error', count: 1 },
      { provider: 'docusign', status: 'needs_reauth', count: 1 },
      { provider: 'oauth2', status: 'error', count: 1 },
      { provider: 'oauth2', status: 'needs_reauth', count: 1 },
    ]);
    // The triggers append one row per change; the read folded each group back into one row.
    const rowsPerGroup = (await dataSource.query(
      `SELECT count(*)::int AS "n" FROM "signing_auth_connection_counts" GROUP BY "provider", "status"`,
    )) as Array<{ n: number }>;
    expect(rowsPerGroup.length).toBeGreaterThan(0);
    expect(rowsPerGroup.every((g) => g.n === 1)).toBe(true);
  });
});
