import { DataSource, type DataSourceOptions } from 'typeorm';
import { SIGNING_AUTH_MIGRATIONS } from 'signing-auth';
import { ConnectionHealthQuery } from '../../libs/signing-auth/src/health/connection-health.query.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The health indicator and the metrics gauge read `signing_auth_connection_counts` (kept by triggers) and
 * two partial indexes instead of counting the table. After every kind of write the counts must equal a
 * count of the table itself.
 */
describe('connection counts (summary table kept by triggers)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let query: ConnectionHealthQuery;
  const past = new Date('2026-01-01T00:00:00Z');
  const overdueBefore = new Date('2026-06-01T00:00:00Z');

  beforeAll(async () => {
    db = await createTestDatabase();
    // Up to the migration before the counts, so the test can check that it counts rows already there.
    dataSource = new DataSource({
      ...db.options,
      migrations: SIGNING_AUTH_MIGRATIONS.slice(0, 2),
    } as DataSourceOptions);
    await dataSource.initialize();
    query = new ConnectionHealthQuery(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.close();
  });

  /** Inserts `n` rows in one statement: tenants `<prefix>-<i>`, the given provider and status. */
  async function insert(prefix: string, n: number, provider: string, status: string, lastError?: string) {
    await dataSource.query(
      `INSERT INTO "signing_auth_connections" ("id", "tenant_id", "provider", "status", "grant_type",
         "secrets_ciphertext", "next_refresh_at", "last_error")
       SELECT gen_random_uuid(), $1 || '-' || g, $2, $3, 'client_credentials', 'x', $4, $5
         FROM generate_series(1, $6::int) AS g`,
      [
        prefix,
        provider,
        status,
        status === 'active' || status === 'error' ? past : null,
        lastError ?? null,
        n,
      ],
    );
  }

  /** What the counts must be: the table counted directly. */
  async function recount() {
    const groups = (await dataSource.query(
      `SELECT "provider", "status", count(*)::int AS "count" FROM "signing_auth_connections" GROUP BY 1, 2`,
    )) as Array<{ provider: string; status: string; count: number }>;
    const [row] = (await dataSource.query(
      `SELECT count(*)::int AS "total",
              (count(*) FILTER (WHERE "status" = 'needs_reauth'))::int AS "needsReauth",
              (count(*) FILTER (WHERE "status" = 'error'))::int AS "failing",
              (count(*) FILTER (WHERE "status" = 'error' AND starts_with("last_error", 'unprocessable: ')))::int AS "unprocessable",
              (count(*) FILTER (WHERE "status" IN ('active', 'error') AND "next_refresh_at" < $1))::int AS "overdue"
         FROM "signing_auth_connections"`,
      [overdueBefore],
    )) as Array<Record<string, number>>;
    return { groups: sortGroups(groups), counts: row };
  }

  async function expectCountsRight() {
    const expected = await recount();
    expect(sortGroups(await query.countByStatus())).toEqual(expected.groups);
    expect(await query.counts(overdueBefore)).toEqual(expected.counts);
  }

  it('counts the rows that were there before the migration', async () => {
    await insert('before', 7, 'oauth2', 'active');
    await insert('before-err', 3, 'docusign', 'error', 'unprocessable: key "gone" is not in the keyring');
    await dataSource.destroy();
    dataSource = new DataSource(db.options);
    await dataSource.initialize(); // runs the counts migration
    query = new ConnectionHealthQuery(dataSource);
    await expectCountsRight();
    expect(await query.counts(overdueBefore)).toMatchObject({
      total: 10,
      failing: 3,
      unprocessable: 3,
      overdue: 10,
    });
  });

  it('follows single and bulk inserts', async () => {
    await insert('single', 1, 'signicat', 'pending');
    await insert('bulk', 500, 'oauth2', 'active');
    await insert('bulk-reauth', 40, 'docspring', 'needs_reauth');
    await expectCountsRight();
  });

  it('follows status and provider changes, and ignores updates that change neither', async () => {
    await dataSource.query(
      `UPDATE "signing_auth_connections" SET "status" = 'error', "last_error" = 'provider answered 503'
        WHERE "tenant_id" LIKE 'bulk-%' AND "provider" = 'oauth2' AND "tenant_id" < 'bulk-2'`,
    );
    await dataSource.query(
      `UPDATE "signing_auth_connections" SET "provider" = 'formstack-sign' WHERE "tenant_id" = 'single-1'`,
    );
    await dataSource.query(
      `UPDATE "signing_auth_connections" SET "status" = 'error',
          "last_error" = 'unprocessable: stored value cannot be read' WHERE "tenant_id" = 'bulk-300'`,
    );
    // A refresh write-back, a lease, a usage touch: the status is written but unchanged.
    await dataSource.query(
      `UPDATE "signing_auth_connections" SET "status" = "status", "lease_owner" = 'r1', "version" = "version" + 1`,
    );
    await expectCountsRight();
    const byStatus = await query.countByStatus();
    expect(byStatus).toContainEqual({ provider: 'formstack-sign', status: 'pending', count: 1 });
    expect(byStatus.find((r) => r.provider === 'signicat')).toBeUndefined();
  });

  it('stays right under concurrent status changes', async () => {
    const ids = (await dataSource.query(
      `SELECT "id" FROM "signing_auth_connections" WHERE "provider" = 'oauth2' AND "status" = 'active' LIMIT 40`,
    )) as Array<{ id: string }>;
    await Promise.all(
      ids.map(({ id }, i) =>
        dataSource.query(`UPDATE "signing_auth_connections" SET "status" = $2 WHERE "id" = $1`, [
          id,
          ['needs_reauth', 'disabled', 'error', 'active'][i % 4],
        ]),
      ),
    );
    await expectCountsRight();
  });

  it('follows single and bulk deletes, and TRUNCATE', async () => {
    await dataSource.query(`DELETE FROM "signing_auth_connections" WHERE "tenant_id" = 'bulk-1'`);
    await dataSource.query(`DELETE FROM "signing_auth_connections" WHERE "provider" = 'docspring'`);
    await expectCountsRight();
    expect((await query.countByStatus()).find((r) => r.provider === 'docspring')).toBeUndefined();
    await dataSource.query(`TRUNCATE "signing_auth_connections"`);
    await expectCountsRight();
    expect(await query.counts(overdueBefore)).toEqual({
      total: 0,
      needsReauth: 0,
      failing: 0,
      unprocessable: 0,
      overdue: 0,
    });
    await insert('after-truncate', 2, 'oauth2', 'active');
    await expectCountsRight();
  });
});

function sortGroups(groups: Array<{ provider: string; status: string; count: number }>) {
  return groups
    .map((g) => ({ provider: g.provider, status: g.status, count: Number(g.count) }))
    .sort((a, b) => `${a.provider}/${a.status}`.localeCompare(`${b.provider}/${b.status}`));
}
