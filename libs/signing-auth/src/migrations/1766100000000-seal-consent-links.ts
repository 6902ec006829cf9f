import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consent links are now kept sealed (encrypted, in `metadata.consentUrl`). Links stored before this in the
 * clear carried a live OAuth state that anyone reading the database, a backup or the WAL could use: this
 * drops them and ends their states (`expires_at` now, so a late callback is told "expired"). A connection
 * left `needs_reauth` without a link gets a new one on the next refresh attempt (an admin's "refresh now").
 * Nothing to undo: a dropped link cannot be restored, and `down` leaves the data as it is.
 */
export class SealConsentLinks1766100000000 implements MigrationInterface {
  name = 'SealConsentLinks1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE "signing_auth_connections" SET "metadata" = "metadata" - 'consentUrl'
       WHERE "metadata" ? 'consentUrl' AND "metadata"->>'consentUrl' LIKE 'http%'`,
    );
    await queryRunner.query(
      `UPDATE "signing_auth_pending_authorizations" SET "expires_at" = now()
       WHERE "kind" = 'consent' AND "consumed_at" IS NULL AND "expires_at" > now()`,
    );
  }

  async down(): Promise<void> {
    // Nothing to restore (see above).
  }
}
