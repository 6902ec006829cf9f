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
 * The counts behind the health indicator and the metrics gauge, asked on every scrape, so none of them reads
 * the connections table: totals by provider and status come from `signing_auth_connection_counts` (kept by
 * triggers, migration 1765100000000), overdue rows from the sweep's partial index on `next_refresh_at`,
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
      `SELECT ${SUMMED(null)} AS "total", ${SUMMED('needs_reauth')} AS "needsReauth", ${SUMMED('error')} AS "failing",
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
      `SELECT "provider", "status", "count"::int AS "count"
         FROM "signing_auth_connection_counts" WHERE "count" > 0`,
    )) as Array<{ provider: string; status: string; count: number }>;
    return rows.map((row) => ({ ...row, count: Number(row.count) }));
  }
}
