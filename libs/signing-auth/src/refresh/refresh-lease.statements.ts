/**
 * The statements of the refresh lease and its write-backs (RefreshLeaseRepository), as text built once at
 * load: the repository stays about what each does, and the benchmarks can explain the very statements sent.
 * @internal
 */

/** Channel of the cross-replica "a token changed" notification. Payload: tenant, provider, version. */
export const TOKEN_CHANGED_CHANNEL = 'signing_auth_token_changed';

/** Notifies the other replicas that this updated row's token changed (tenant, provider, version: no secret). */
const NOTIFY_CHANGED = `pg_notify('${TOKEN_CHANGED_CHANNEL}',
  json_build_object('t', "tenant_id", 'p', "provider", 'v', "version")::text)`;

/** Milliseconds left on the lease, measured by the database when the statement ran. */
export const LEASE_LEFT_MS = `(extract(epoch from ("lease_expires_at" - clock_timestamp())) * 1000)::float8`;

/**
 * The sweep's claim: up to $3 due rows nobody holds a live lease on, leased to $1 for $2 ms on the database's
 * clock, scoped by provider ($5) and tenant ($6) when those are not null. Exported (internally) so the
 * million-row benchmark explains and times the very statement the sweep sends.
 * @internal
 */
export const CLAIM_DUE_SQL = `UPDATE "signing_auth_connections"
      SET "lease_owner" = $1, "lease_expires_at" = clock_timestamp() + $2 * interval '1 millisecond'
    WHERE "id" IN (
      SELECT "id" FROM "signing_auth_connections"
       WHERE "next_refresh_at" IS NOT NULL AND "next_refresh_at" <= $4
         AND "status" IN ('active', 'error')
         AND ("lease_owner" IS NULL OR "lease_expires_at" < clock_timestamp())
         AND ($5::text[] IS NULL OR "provider" = ANY($5::text[]))
         AND ($6::text[] IS NULL OR "tenant_id" = ANY($6::text[]))
       ORDER BY "next_refresh_at"
       LIMIT $3
       FOR UPDATE SKIP LOCKED)
      AND ("lease_owner" IS NULL OR "lease_expires_at" < clock_timestamp())
    RETURNING *, ${LEASE_LEFT_MS} AS "left"`;

/** A statement that notifies, and the same statement without the notification (for a full NOTIFY queue). */
export interface NotifyingSql {
  notifying: string;
  quiet: string;
}

function bothWays(sql: (notify: boolean) => string): NotifyingSql {
  return { notifying: sql(true), quiet: sql(false) };
}

/** The refreshed-grant write-back of `RefreshLeaseRepository.storeRefreshedMany`. */
export const STORE_REFRESHED_SQL = bothWays(
  (notify) => `WITH "input" AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[],
           $7::boolean[], $8::text[], $9::boolean[], $10::timestamptz[], $11::jsonb[], $12::jsonb[],
           $13::timestamptz[], $14::timestamptz[], $15::boolean[], $16::timestamptz[])
           AS i("id", "owner", "version", "access", "token_type", "expires_at", "set_refresh", "refresh",
             "set_refresh_expiry", "refresh_expires_at", "scopes", "metadata", "now", "next_refresh_at",
             "mark_used", "refresh_issued_at")
       ), "updated" AS (
         UPDATE "signing_auth_connections" AS c SET
           "access_token_ciphertext" = i."access", "token_type" = i."token_type",
           "access_token_expires_at" = i."expires_at",
           "refresh_token_ciphertext" = CASE WHEN i."set_refresh" THEN i."refresh" ELSE c."refresh_token_ciphertext" END,
           "refresh_token_issued_at" = i."refresh_issued_at",
           "refresh_token_expires_at" = CASE WHEN i."set_refresh_expiry" THEN i."refresh_expires_at"
             ELSE c."refresh_token_expires_at" END,
           "scopes" = COALESCE(i."scopes", c."scopes"),
           "metadata" = (c."metadata" - 'consentUrl' - 'accountPending' - 'unverified') || i."metadata",
           "status" = 'active', "failure_count" = 0, "last_error" = NULL,
           "last_refreshed_at" = i."now", "next_refresh_at" = i."next_refresh_at",
           "last_used_at" = CASE WHEN i."mark_used" THEN i."now" ELSE c."last_used_at" END,
           "lease_owner" = NULL, "lease_expires_at" = NULL,
           "version" = c."version" + 1, "updated_at" = i."now"
         FROM "input" AS i
         WHERE c."id" = i."id" AND c."lease_owner" = i."owner" AND c."version" = i."version"
         RETURNING c."id", c."tenant_id", c."provider", c."version")
       SELECT "id", "version", ${notify ? NOTIFY_CHANGED : 'NULL'} AS "n" FROM "updated"`,
);

/** The failure write of `RefreshLeaseRepository.storeFailure`. */
export const STORE_FAILURE_SQL = bothWays(
  (notify) => `WITH "updated" AS (
         UPDATE "signing_auth_connections" SET
           "status" = $4, "failure_count" = $5, "last_error" = $6, "next_refresh_at" = $7,
           "metadata" = "metadata" || $8::jsonb,
           "lease_owner" = NULL, "lease_expires_at" = NULL,
           "version" = "version" + (CASE WHEN $9::boolean THEN 1 ELSE 0 END), "updated_at" = $10
         WHERE "id" = $1 AND "version" = $3 AND (CASE WHEN $2::text IS NULL
           THEN ("lease_owner" IS NULL OR "lease_expires_at" < clock_timestamp())
           ELSE "lease_owner" = $2 END)
         RETURNING "tenant_id", "provider", "version")
       SELECT "version", CASE WHEN $9::boolean THEN ${notify ? NOTIFY_CHANGED : 'NULL'} END AS "n"
         FROM "updated"`,
);
