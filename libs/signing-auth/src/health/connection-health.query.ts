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

/**
 * One aggregate query over the connections table (index-friendly, no rows leave the database).
 * @internal
 */
@Injectable()
export class ConnectionHealthQuery {
  constructor(@Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource) {}

  async counts(overdueBefore: Date): Promise<ConnectionHealthCounts> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*)::int AS "total",
              (count(*) FILTER (WHERE "status" = 'needs_reauth'))::int AS "needsReauth",
              (count(*) FILTER (WHERE "status" = 'error'))::int AS "failing",
              (count(*) FILTER (WHERE "status" = 'error' AND starts_with("last_error", $2)))::int AS "unprocessable",
              (count(*) FILTER (WHERE "status" IN ('active', 'error') AND "next_refresh_at" < $1))::int AS "overdue"
         FROM "signing_auth_connections"`,
      [overdueBefore, UNPROCESSABLE_PREFIX],
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
      `SELECT "provider", "status", count(*)::int AS "count"
         FROM "signing_auth_connections" GROUP BY "provider", "status"`,
    )) as Array<{ provider: string; status: string; count: number }>;
    return rows.map((row) => ({ ...row, count: Number(row.count) }));
  }
}
