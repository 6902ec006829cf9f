import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Counts the health indicator and the metrics gauge read on every scrape, without reading the table.
 *
 * - `signing_auth_connection_counts` holds the number of connections per (provider, status), kept by
 *   triggers: per statement for INSERT and DELETE (transition tables, so a bulk load adds one row per
 *   group, not one per connection), per row for UPDATE but only when status or provider changed (the WHEN
 *   clause is checked without calling the function, so refresh write-backs, leases and usage touches cost
 *   nothing extra), and TRUNCATE empties it. Rows are added in (provider, status) order so two writers
 *   take the counter rows' locks in the same order.
 * - Two partial indexes answer the time-dependent counts by reading only the rows they count: overdue
 *   rows come from the sweep's `signing_auth_connections_due_idx`; unprocessable ones (failing with the
 *   `unprocessable: ` prefix of UNPROCESSABLE_PREFIX) from `signing_auth_connections_unprocessable_idx`.
 *
 * The triggers come before the counts are filled in: CREATE TRIGGER locks the connections table against
 * writes until the migration's transaction commits, so no write slips between the count and the triggers.
 */
export class ConnectionCounts1765100000000 implements MigrationInterface {
  name = 'ConnectionCounts1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "signing_auth_connection_counts" (
        "provider" varchar(64) NOT NULL,
        "status" varchar(32) NOT NULL,
        "count" bigint NOT NULL,
        CONSTRAINT "signing_auth_connection_counts_pk" PRIMARY KEY ("provider", "status")
      )`);
    await queryRunner.query(`
      CREATE FUNCTION "signing_auth_connection_counts_add"() RETURNS trigger LANGUAGE plpgsql AS $$
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
    await queryRunner.query(`
      CREATE TRIGGER "signing_auth_connection_counts_insert" AFTER INSERT ON "signing_auth_connections"
        REFERENCING NEW TABLE AS "added" FOR EACH STATEMENT EXECUTE FUNCTION "signing_auth_connection_counts_add"()`);
    await queryRunner.query(`
      CREATE TRIGGER "signing_auth_connection_counts_delete" AFTER DELETE ON "signing_auth_connections"
        REFERENCING OLD TABLE AS "removed" FOR EACH STATEMENT EXECUTE FUNCTION "signing_auth_connection_counts_add"()`);
    await queryRunner.query(`
      CREATE TRIGGER "signing_auth_connection_counts_update" AFTER UPDATE ON "signing_auth_connections"
        FOR EACH ROW WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."provider" IS DISTINCT FROM NEW."provider")
        EXECUTE FUNCTION "signing_auth_connection_counts_add"()`);
    await queryRunner.query(`
      CREATE TRIGGER "signing_auth_connection_counts_truncate" AFTER TRUNCATE ON "signing_auth_connections"
        FOR EACH STATEMENT EXECUTE FUNCTION "signing_auth_connection_counts_add"()`);
    await queryRunner.query(`
      INSERT INTO "signing_auth_connection_counts" ("provider", "status", "count")
        SELECT "provider", "status", count(*) FROM "signing_auth_connections" GROUP BY "provider", "status"`);
    await queryRunner.query(
      `CREATE INDEX "signing_auth_connections_unprocessable_idx" ON "signing_auth_connections" ("provider")
         WHERE "status" = 'error' AND starts_with("last_error", 'unprocessable: ')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "signing_auth_connections_unprocessable_idx"`);
    await queryRunner.query(
      `DROP TRIGGER "signing_auth_connection_counts_truncate" ON "signing_auth_connections"`,
    );
    await queryRunner.query(
      `DROP TRIGGER "signing_auth_connection_counts_update" ON "signing_auth_connections"`,
    );
    await queryRunner.query(
      `DROP TRIGGER "signing_auth_connection_counts_delete" ON "signing_auth_connections"`,
    );
    await queryRunner.query(
      `DROP TRIGGER "signing_auth_connection_counts_insert" ON "signing_auth_connections"`,
    );
    await queryRunner.query(`DROP FUNCTION "signing_auth_connection_counts_add"()`);
    await queryRunner.query(`DROP TABLE "signing_auth_connection_counts"`);
  }
}
