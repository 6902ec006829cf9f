/**
 * The count statements behind the health indicator and the `signing_auth_connections` gauge.
 * `SCAN_*` are what the library sent before migration 1765000000000 (every scrape read the whole table);
 * they stay here as the control the scenario measures the library's current path against. `SUMMARY_*`
 * repeat what `ConnectionHealthQuery` sends now (an internal class), for the plans only, less its fold
 * (a CTE that writes nothing while each group has one row, as after the seeding here).
 */
export const SCAN_HEALTH_COUNTS = `SELECT count(*)::int AS "total",
    (count(*) FILTER (WHERE "status" = 'needs_reauth'))::int AS "needsReauth",
    (count(*) FILTER (WHERE "status" = 'error'))::int AS "failing",
    (count(*) FILTER (WHERE "status" = 'error' AND starts_with("last_error", $2)))::int AS "unprocessable",
    (count(*) FILTER (WHERE "status" IN ('active', 'error') AND "next_refresh_at" < $1))::int AS "overdue"
  FROM "signing_auth_connections"`;

export const SCAN_COUNT_BY_STATUS = `SELECT "provider", "status", count(*)::int AS "count"
  FROM "signing_auth_connections" GROUP BY "provider", "status"`;

export const SUMMARY_HEALTH_COUNTS = `SELECT
    (SELECT COALESCE(sum("count"), 0) FROM "signing_auth_connection_counts")::int AS "total",
    (SELECT COALESCE(sum("count"), 0) FROM "signing_auth_connection_counts" WHERE "status" = 'needs_reauth')::int AS "needsReauth",
    (SELECT COALESCE(sum("count"), 0) FROM "signing_auth_connection_counts" WHERE "status" = 'error')::int AS "failing",
    (SELECT count(*) FROM "signing_auth_connections"
      WHERE "status" = 'error' AND starts_with("last_error", 'unprocessable: '))::int AS "unprocessable",
    (SELECT count(*) FROM "signing_auth_connections"
      WHERE "status" IN ('active', 'error') AND "next_refresh_at" < $1)::int AS "overdue"`;

export const SUMMARY_COUNT_BY_STATUS = `SELECT "provider", "status", sum("count")::int AS "count"
  FROM "signing_auth_connection_counts" GROUP BY 1, 2 HAVING sum("count") > 0`;

export const UNPROCESSABLE_PREFIX = 'unprocessable: ';
