import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import { UNPROCESSABLE_PREFIX } from '../refresh/unprocessable-connection.js';

/** Counts of connections that need a human or a look. @publicApi */
export interface ConnectionHealthCounts {
  total: number;
  /** The provider said the grant is gone: a tenant admin must connect again. */
  needsReauth: number;
  /** Status `error`: transient failures, and unprocessable rows, retrying with backoff. */
  failing: number;
  /**
   * Of `failing`, rows this app cannot work on (key id not in the keyring, unreadable data, strategy
   * removed): they need an operator, not time. Their `lastError` says what is wrong.
   */
  unprocessable: number;
  /** Active or failing connections whose scheduled refresh is more than the grace period late. */
  overdue: number;
}

/** Rows of the summary table with this status, summed over providers (all statuses when null). */
const SUMMED = (status: string | null) =>
  `(SELECT COALESCE(sum("count"), 0) FROM "signing_auth_connection_counts"${status ? ` WHERE "status" = '${status}'` : ''})::int`;

/**
 * Folds each (provider, status) group of the summary table that has several rows back into one, in the
 * statement that reads it (the read's snapshot is taken before the fold, and a fold keeps every group's
 * sum, so the answer is the same either way). The triggers only append rows (migration 1766200000000,
 * docs/decisions/030), so without this the table would grow by two rows per status change.
 * - Rows are taken with SKIP LOCKED: a fold never waits, and two folds at once take disjoint rows.
 * - The first CTE names the connections table only to take its ACCESS SHARE lock before any counter row:
 *   a TRUNCATE of the connections table (whose trigger empties this table) then waits for the fold, or
 *   the fold for it, and a folded row cannot survive the TRUNCATE.
 * - With nothing to fold (a group per row) it writes nothing.
 */
const FOLD_COUNTS = `"truncate_fence" AS (SELECT FROM "signing_auth_connections" LIMIT 0),
  "folding" AS (
    SELECT "ctid" FROM "signing_auth_connection_counts"
     WHERE ("provider", "status") IN (SELECT "provider", "status" FROM "signing_auth_connection_counts"
                                      GROUP BY 1, 2 HAVING count(*) > 1)
       FOR UPDATE SKIP LOCKED),
  "folded" AS (
    DELETE FROM "signing_auth_connection_counts" AS c USING "folding" AS f WHERE c."ctid" = f."ctid"
    RETURNING c."provider", c."status", c."count"),
  "refolded" AS (
    INSERT INTO "signing_auth_connection_counts" ("provider", "status", "count")
    SELECT "provider", "status", sum("count") FROM "folded" GROUP BY 1, 2)`;

/**
 * The counts behind the health indicator and the metrics gauge, asked on every scrape, so none of them reads
 * the connections table: totals by provider and status come from `signing_auth_connection_counts` (kept by
 * triggers, migrations 1765100000000 and 1766200000000; folded as it is read), overdue rows from the sweep's partial index on `next_refresh_at`,
 * unprocessable rows from their own partial index. Each costs what it counts, not what is stored
 * (docs/scale.md: ~2 ms instead of ~0.9 s at a million rows).
 * @internal
 */
@Injectable()
export class ConnectionHealthQuery {
  constructor(@Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource) {}

  async counts(overdueBefore: Date): Promise<ConnectionHealthCounts> {
    // The prefix is a literal, not a parameter: the planner matches the partial index's predicate only then.
    const [row] = (await this.dataSource.query(
      `WITH ${FOLD_COUNTS}
       SELECT ${SUMMED(null)} AS "total", ${SUMMED('needs_reauth')} AS "needsReauth", ${SUMMED('error')} AS "failing",
              (SELECT count(*) FROM "signing_auth_connections"
                WHERE "status" = 'error' AND starts_with("last_error", '${UNPROCESSABLE_PREFIX}'))::int AS "unprocessable",
              (SELECT count(*) FROM "signing_auth_connections"
                WHERE "status" IN ('active', 'error') AND "next_refresh_at" < $1)::int AS "overdue"`,
      [overdueBefore],
    )) as ConnectionHealthCounts[];
    return {
      total: Number(row.total),
      needsReauth: Number(row.needsReauth),
      failing: Number(row.failing),
      unprocessable: Number(row.unprocessable),
      overdue: Number(row.overdue),
    };
  }

  async countByStatus(): Promise<Array<{ provider: string; status: string; count: number }>> {
    const rows = (await this.dataSource.query(
      `WITH ${FOLD_COUNTS}
       SELECT "provider", "status", sum("count")::int AS "count"
         FROM "signing_auth_connection_counts" GROUP BY 1, 2 HAVING sum("count") > 0`,
    )) as Array<{ provider: string; status: string; count: number }>;
    return rows.map((row) => ({ ...row, count: Number(row.count) }));
  }
}
