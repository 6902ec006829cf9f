import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The library's tables. UUIDs are generated in code (no uuid-ossp/pgcrypto needed, so it runs on
 * PGlite too). The partial index on next_refresh_at is what the sweep reads: only due, sweepable rows.
 */
export class CreateSigningAuthTables1763800000000 implements MigrationInterface {
  name = 'CreateSigningAuthTables1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "signing_auth_connections" (
        "id" uuid PRIMARY KEY,
        "tenant_id" varchar(200) NOT NULL,
        "provider" varchar(64) NOT NULL,
        "status" varchar(32) NOT NULL,
        "grant_type" varchar(64) NOT NULL,
        "scopes" jsonb NOT NULL DEFAULT '[]'::jsonb,
        "config" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "secrets_ciphertext" text NOT NULL,
        "access_token_ciphertext" text,
        "token_type" varchar(32),
        "refresh_token_ciphertext" text,
        "access_token_expires_at" timestamptz,
        "refresh_token_expires_at" timestamptz,
        "refresh_token_issued_at" timestamptz,
        "last_refreshed_at" timestamptz,
        "next_refresh_at" timestamptz,
        "last_used_at" timestamptz,
        "failure_count" integer NOT NULL DEFAULT 0,
        "last_error" text,
        "metadata" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "lease_owner" varchar(100),
        "lease_expires_at" timestamptz,
        "version" integer NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "signing_auth_connections_status_ck"
          CHECK ("status" IN ('pending', 'active', 'needs_reauth', 'error', 'disabled'))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "signing_auth_connections_tenant_provider_uq" ON "signing_auth_connections" ("tenant_id", "provider")`,
    );
    await queryRunner.query(
      `CREATE INDEX "signing_auth_connections_due_idx" ON "signing_auth_connections" ("next_refresh_at")
         WHERE "next_refresh_at" IS NOT NULL AND "status" IN ('active', 'error')`,
    );
    await queryRunner.query(
      `CREATE INDEX "signing_auth_connections_lease_idx" ON "signing_auth_connections" ("lease_expires_at")
         WHERE "lease_owner" IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE "signing_auth_pending_authorizations" (
        "id" uuid PRIMARY KEY,
        "state_hash" varchar(64) NOT NULL,
        "tenant_id" varchar(200) NOT NULL,
        "provider" varchar(64) NOT NULL,
        "code_verifier_ciphertext" text NOT NULL,
        "redirect_uri" text NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "consumed_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "signing_auth_pending_authorizations_state_uq" ON "signing_auth_pending_authorizations" ("state_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "signing_auth_pending_authorizations_expires_idx" ON "signing_auth_pending_authorizations" ("expires_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "signing_auth_pending_authorizations"`);
    await queryRunner.query(`DROP TABLE "signing_auth_connections"`);
  }
}
