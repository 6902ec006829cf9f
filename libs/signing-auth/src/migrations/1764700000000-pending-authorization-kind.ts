import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pending authorizations get a kind: `authorization` (the authorization-code connect flow, 10 minutes) or
 * `consent` (a consent link handed out with a `consent_required` failure, e.g. DocuSign JWT; it lives
 * longer because an admin opens it when they get to it). Existing rows are authorizations.
 */
export class PendingAuthorizationKind1764700000000 implements MigrationInterface {
  name = 'PendingAuthorizationKind1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "signing_auth_pending_authorizations"
         ADD COLUMN "kind" varchar(16) NOT NULL DEFAULT 'authorization'
         CONSTRAINT "signing_auth_pending_authorizations_kind_ck" CHECK ("kind" IN ('authorization', 'consent'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "signing_auth_pending_authorizations" DROP COLUMN "kind"`);
  }
}
