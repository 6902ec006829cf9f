import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Connect sessions (decision 022): tenant-scoped bearer tokens a host hands to its customer's browser.
 *
 * - `signing_auth_connect_sessions` keeps only the SHA-256 of each token (`token_hash`), never the token.
 *   `expires_at` is set from the database clock (`now()`) and judged against it, so app clocks do not matter.
 *   `providers` NULL means every provider; `revoked_at` is set by a revocation. Rows are deleted an hour after
 *   they expire (by the library, when a session is created or revoked).
 * - `signing_auth_pending_authorizations.connect_session_id` remembers which session started an OAuth flow,
 *   so its callback sends the browser back to the Connect page. No foreign key: sessions are deleted after
 *   expiry while a late callback may still look the flow up.
 */
export class ConnectSessions1766000000000 implements MigrationInterface {
  name = 'ConnectSessions1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "signing_auth_connect_sessions" (
        "id" uuid PRIMARY KEY,
        "token_hash" varchar(64) NOT NULL,
        "tenant_id" varchar(200) NOT NULL,
        "providers" jsonb,
        "return_url" text,
        "allow_delete" boolean NOT NULL DEFAULT false,
        "expires_at" timestamptz NOT NULL,
        "revoked_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "signing_auth_connect_sessions_token_uq" ON "signing_auth_connect_sessions" ("token_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "signing_auth_connect_sessions_tenant_idx" ON "signing_auth_connect_sessions" ("tenant_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "signing_auth_connect_sessions_expires_idx" ON "signing_auth_connect_sessions" ("expires_at")`,
    );
    await queryRunner.query(
      `ALTER TABLE "signing_auth_pending_authorizations" ADD COLUMN "connect_session_id" uuid`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "signing_auth_pending_authorizations" DROP COLUMN "connect_session_id"`,
    );
    await queryRunner.query(`DROP TABLE "signing_auth_connect_sessions"`);
  }
}
