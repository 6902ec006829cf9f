import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two changes that take locks and index writes off the connections table's hottest statements.
 *
 * 1. **Counts without shared row locks** (docs/decisions/030). The summary table's triggers updated one
 *    counter row per (provider, status) in place, so a transaction that changed statuses of two providers
 *    held one provider's counter rows while waiting for the other's, and two such transactions in opposite
 *    orders deadlocked (40P01) although they touched different connections. Now the triggers only INSERT
 *    their changes (+n / -n rows, one per group and statement), which takes no lock another writer waits
 *    for; readers sum. `ConnectionHealthQuery` folds a group's rows back into one on read (rows locked
 *    with SKIP LOCKED, so folding never waits either). The primary key goes: a group has several rows
 *    until folded.
 * 2. **Claims and releases as HOT updates** (docs/decisions/031). `signing_auth_connections_lease_idx`
 *    (on `lease_expires_at` where `lease_owner` is set) was read by no statement, yet because it covers
 *    both lease columns, every claim and release wrote a new entry into every index of the table — the
 *    due index included, whose head then grew dead entries each sweep had to step over. Without it, a
 *    claim or release changes no indexed column, and with free room on the page (fill factor 85) the
 *    new row version goes on the same page without any index entry.
 */
export class AppendOnlyCountsAndHotLeases1766200000000 implements MigrationInterface {
  name = 'AppendOnlyCountsAndHotLeases1766200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "signing_auth_connection_counts" DROP CONSTRAINT "signing_auth_connection_counts_pk"`,
    );
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "signing_auth_connection_counts_add"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO "signing_auth_connection_counts" ("provider", "status", "count")
            SELECT "provider", "status", count(*) FROM "added" GROUP BY 1, 2;
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO "signing_auth_connection_counts" ("provider", "status", "count")
            SELECT "provider", "status", -count(*) FROM "removed" GROUP BY 1, 2;
        ELSIF TG_OP = 'UPDATE' THEN
          INSERT INTO "signing_auth_connection_counts" ("provider", "status", "count")
            VALUES (OLD."provider", OLD."status", -1), (NEW."provider", NEW."status", 1);
        ELSE -- TRUNCATE
          DELETE FROM "signing_auth_connection_counts";
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`DROP INDEX "signing_auth_connections_lease_idx"`);
    await queryRunner.query(`ALTER TABLE "signing_auth_connections" SET (fillfactor = 85)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "signing_auth_connections" RESET (fillfactor)`);
    await queryRunner.query(
      `CREATE INDEX "signing_auth_connections_lease_idx" ON "signing_auth_connections" ("lease_expires_at")
         WHERE "lease_owner" IS NOT NULL`,
    );
    // One row per group again before the key returns and the in-place function with it; the lock keeps
    // writers (whose triggers insert here) out until the migration commits.
    await queryRunner.query(`LOCK TABLE "signing_auth_connection_counts" IN EXCLUSIVE MODE`);
    await queryRunner.query(`
      WITH "folded" AS (DELETE FROM "signing_auth_connection_counts" RETURNING "provider", "status", "count")
      INSERT INTO "signing_auth_connection_counts" ("provider", "status", "count")
        SELECT "provider", "status", sum("count") FROM "folded" GROUP BY 1, 2`);
    await queryRunner.query(
      `ALTER TABLE "signing_auth_connection_counts"
         ADD CONSTRAINT "signing_auth_connection_counts_pk" PRIMARY KEY ("provider", "status")`,
    );
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "signing_auth_connection_counts_add"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO "signing_auth_connection_counts" AS c ("provider", "status", "count")
            SELECT "provider", "status", count(*) FROM "added" GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT ("provider", "status") DO UPDATE SET "count" = c."count" + EXCLUDED."count";
        ELSIF TG_OP = 'DELETE' THEN
          UPDATE "signing_auth_connection_counts" AS c SET "count" = c."count" - r."n"
            FROM (SELECT "provider", "status", count(*) AS "n" FROM "removed" GROUP BY 1, 2 ORDER BY 1, 2) AS r
           WHERE c."provider" = r."provider" AND c."status" = r."status";
        ELSIF TG_OP = 'UPDATE' THEN
          INSERT INTO "signing_auth_connection_counts" AS c ("provider", "status", "count")
            SELECT * FROM (VALUES (OLD."provider", OLD."status", -1::bigint), (NEW."provider", NEW."status", 1::bigint))
              AS d ORDER BY 1, 2
            ON CONFLICT ("provider", "status") DO UPDATE SET "count" = c."count" + EXCLUDED."count";
        ELSE -- TRUNCATE
          DELETE FROM "signing_auth_connection_counts";
        END IF;
        RETURN NULL;
      END $$`);
  }
}
