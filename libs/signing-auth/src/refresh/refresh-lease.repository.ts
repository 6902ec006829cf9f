import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { guardDatabase, queryRows, type Row, type SigningAuthDatabaseError } from '../common/query-rows.js';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import { ConnectionCipher } from '../connections/connection-cipher.js';
import { connectionsFromRows } from '../connections/connection-rows.js';
import type { ConnectionStatus } from '../connections/connection-status.js';
import { ConnectionEntity } from '../connections/connection.entity.js';
import type { TokenGrant } from '../providers/strategy.interface.js';
import {
  CLAIM_DUE_SQL,
  LEASE_LEFT_MS,
  STORE_FAILURE_SQL,
  STORE_REFRESHED_SQL,
  type NotifyingSql,
} from './refresh-lease.statements.js';

// Imported from here by the notifier and (internally) by the million-row and hot-claims benchmarks.
export { CLAIM_DUE_SQL, TOKEN_CHANGED_CHANNEL } from './refresh-lease.statements.js';

/** One refreshed grant to write back under the lease `owner` holds on `row`. @internal */
export interface RefreshedWrite {
  row: ConnectionEntity;
  owner: string;
  grant: TokenGrant;
  write: {
    now: Date;
    nextRefreshAt: Date | null;
    markUsed: boolean;
    /** Start of the refresh token's lifetime for renewal; null when this refresh did not extend it. */
    refreshTokenIssuedAt: Date | null;
  };
}

/** Which connections a sweep pass may take (absent: all). */
export interface SweepScope {
  providers?: string[];
  tenantIds?: string[];
}

/** SQLSTATE of `too many notifications in the NOTIFY queue` (program_limit_exceeded). */
const NOTIFY_QUEUE_FULL = '54000';

/** What a failed refresh writes back. */
export interface RefreshFailureWrite {
  status: ConnectionStatus;
  failureCount: number;
  lastError: string;
  nextRefreshAt: Date | null;
  metadataPatch?: Record<string, unknown>;
  /** Bump the version (and notify) because the grant's state changed (needs_reauth). */
  bumpVersion: boolean;
}

/**
 * The refresh lease and the fenced write-back. Every state change is ONE statement (`UPDATE ... WHERE
 * ... RETURNING`), so it is atomic on a real server and on the single-connection embedded database alike,
 * and no row lock is ever held across a provider call. Lease times come from the database's clock
 * (docs/decisions/006-leases-on-the-database-clock.md); schedules (next refresh, expiries) from the module
 * clock, so tests can simulate months. See docs/decisions/002-lease-not-advisory-lock.md.
 * @internal
 */
@Injectable()
export class RefreshLeaseRepository {
  /** Local monotonic deadline of each lease this replica holds, keyed by the row object it claimed. */
  private readonly deadlines = new WeakMap<ConnectionEntity, number>();
  private readonly logger = new Logger('SigningAuthLeases');
  /** When the NOTIFY-queue warning was last logged (performance.now()); it says the same each time. */
  private notifyQueueWarnedAt = -Infinity;

  constructor(
    @Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly cipher: ConnectionCipher,
  ) {}

  findOne(tenantId: string, provider: string): Promise<ConnectionEntity | null> {
    return guardDatabase(() =>
      this.dataSource.getRepository(ConnectionEntity).findOne({ where: { tenantId, provider } }),
    );
  }

  /**
   * Takes the lease if it is free or lapsed; returns the row as the claiming statement left it (one
   * statement, no read-back), or null when another holds it.
   * The lease's expiry is set and judged on the database's clock (`clock_timestamp()`), never a replica's:
   * replicas whose clocks disagree still agree on who holds a lease (docs/decisions/006).
   */
  async claim(
    tenantId: string,
    provider: string,
    owner: string,
    leaseMs: number,
  ): Promise<ConnectionEntity | null> {
    const sent = performance.now();
    const rows = await this.run(
      `UPDATE "signing_auth_connections"
          SET "lease_owner" = $3, "lease_expires_at" = clock_timestamp() + $4 * interval '1 millisecond'
        WHERE "tenant_id" = $1 AND "provider" = $2
          AND ("lease_owner" IS NULL OR "lease_expires_at" < clock_timestamp())
        RETURNING *, ${LEASE_LEFT_MS} AS "left"`,
      [tenantId, provider, owner, leaseMs],
    );
    if (rows.length === 0) return null;
    const [row] = connectionsFromRows(this.dataSource, rows);
    this.deadlines.set(row, sent + Number(rows[0].left));
    return row;
  }

  /**
   * Claims up to `limit` connections due by `dueBy` (the module clock: schedules follow it) for the sweep.
   * SKIP LOCKED lets replicas sweeping at the same moment take disjoint rows; the inner SELECT reads
   * `signing_auth_connections_due_idx` (partial index on next_refresh_at for status active/error). Leases
   * are judged on the database's clock, as in {@link claim}.
   */
  async claimDue(
    owner: string,
    dueBy: Date,
    leaseMs: number,
    limit: number,
    scope: SweepScope = {},
  ): Promise<ConnectionEntity[]> {
    const sent = performance.now();
    const rows = await this.run(CLAIM_DUE_SQL, [
      owner,
      leaseMs,
      limit,
      dueBy,
      scope.providers ?? null,
      scope.tenantIds ?? null,
    ]);
    const claimed = connectionsFromRows(this.dataSource, rows);
    claimed.forEach((row, i) => this.deadlines.set(row, sent + Number(rows[i].left)));
    return claimed;
  }

  /**
   * How long this replica may still count on the lease it holds on `row`, in ms of its own monotonic clock
   * (measured from before the claim statement was sent, so never more than the database grants). 0 when
   * unknown.
   */
  leaseLeftMs(row: ConnectionEntity): number {
    const deadline = this.deadlines.get(row);
    return deadline === undefined ? 0 : deadline - performance.now();
  }

  /** Extends a lease we still hold (fenced by owner and version), on the database clock; false when lost. */
  async extend(row: ConnectionEntity, owner: string, leaseMs: number): Promise<boolean> {
    const sent = performance.now();
    const rows = await this.run(
      `UPDATE "signing_auth_connections"
          SET "lease_expires_at" = clock_timestamp() + $4 * interval '1 millisecond'
        WHERE "id" = $1 AND "lease_owner" = $2 AND "version" = $3 RETURNING ${LEASE_LEFT_MS} AS "left"`,
      [row.id, owner, row.version, leaseMs],
    );
    if (rows.length === 0) return false;
    this.deadlines.set(row, sent + Number(rows[0].left));
    return true;
  }

  /** Sets the next scheduled refresh unless the row changed since it was read (version). */
  async schedule(row: ConnectionEntity, nextRefreshAt: Date | null): Promise<void> {
    await this.run(
      `UPDATE "signing_auth_connections" SET "next_refresh_at" = $3
        WHERE "id" = $1 AND "version" = $2 RETURNING "id"`,
      [row.id, row.version, nextRefreshAt],
    );
  }

  /** Gives the lease back without touching the grant; optionally sets the next scheduled refresh. */
  async release(row: ConnectionEntity, owner: string, nextRefreshAt?: Date | null): Promise<void> {
    await this.run(
      `UPDATE "signing_auth_connections" SET "lease_owner" = NULL, "lease_expires_at" = NULL,
          "next_refresh_at" = CASE WHEN $3::boolean THEN $4::timestamptz ELSE "next_refresh_at" END
        WHERE "id" = $1 AND "lease_owner" = $2 RETURNING "id"`,
      [row.id, owner, nextRefreshAt !== undefined, nextRefreshAt ?? null],
    );
  }

  /**
   * Writes a fresh grant back, only if we still hold the lease and nobody wrote since we read the row
   * (fencing). Access and refresh token land in the same statement; the lease is released, the version
   * bumped and the other replicas notified (NOTIFY is delivered on commit). Returns the new version, or
   * null when fenced out.
   */
  async storeRefreshed(
    row: ConnectionEntity,
    owner: string,
    grant: TokenGrant,
    write: RefreshedWrite['write'],
  ): Promise<number | null> {
    return (await this.storeRefreshedMany([{ row, owner, grant, write }])).get(row.id) ?? null;
  }

  /**
   * {@link storeRefreshed} for several rows in one statement (the batched write-back), each row fenced on
   * its own: the versions of the rows written; a fenced row is absent. One row's fault (a value the
   * database refuses) fails the whole statement.
   */
  async storeRefreshedMany(writes: readonly RefreshedWrite[]): Promise<Map<string, number>> {
    const columns = writes.map((w) => this.refreshedValues(w));
    const rows = await this.runNotifying(
      STORE_REFRESHED_SQL,

      Array.from({ length: 16 }, (_, i) => columns.map((values) => values[i])),
    );
    return new Map(rows.map((r) => [r.id as string, Number(r.version)]));
  }

  /** One row's values, in the order of {@link storeRefreshedMany}'s columns; the tokens encrypted here. */
  private refreshedValues({ row, owner, grant, write }: RefreshedWrite): unknown[] {
    const { tenantId, provider } = row;
    return [
      row.id,
      owner,
      row.version,
      this.cipher.encrypt(tenantId, provider, 'accessTokenCiphertext', grant.accessToken),
      grant.tokenType,
      grant.expiresAt,
      grant.refreshToken !== undefined,
      typeof grant.refreshToken === 'string'
        ? this.cipher.encrypt(tenantId, provider, 'refreshTokenCiphertext', grant.refreshToken)
        : null,
      grant.refreshTokenExpiresAt !== undefined || grant.refreshToken === null,
      grant.refreshToken === null ? null : (grant.refreshTokenExpiresAt ?? null),
      grant.scopes && grant.scopes.length > 0 ? JSON.stringify(grant.scopes) : null,
      JSON.stringify(grant.metadata ?? {}),
      write.now,
      write.nextRefreshAt,
      write.markUsed,
      write.refreshTokenIssuedAt,
    ];
  }

  /**
   * Records a failed refresh (fenced like {@link storeRefreshed}); the stored grant is left as it was.
   * `owner` null: a caller without the lease (on-demand marking of an unprocessable row) writes only while
   * nobody holds a live lease.
   */
  async storeFailure(
    row: ConnectionEntity,
    owner: string | null,
    failure: RefreshFailureWrite,
    now: Date,
  ): Promise<number | null> {
    const rows = await this.runNotifying(
      STORE_FAILURE_SQL,

      [
        row.id,
        owner,
        row.version,
        failure.status,
        failure.failureCount,
        failure.lastError.slice(0, 500),
        failure.nextRefreshAt,
        JSON.stringify(failure.metadataPatch ?? {}),
        failure.bumpVersion,
        now,
      ],
    );
    return rows.length > 0 ? Number(rows[0].version) : null;
  }

  /**
   * Records that connections were used (batched by the usage recorder). An active connection that just
   * came into use gets its access-token refresh pulled forward, so the sweep keeps it warm.
   */
  async touchUsage(
    keys: { tenantId: string; provider: string }[],
    now: Date,
    leeway: { seconds: number; fraction: number },
  ): Promise<void> {
    if (keys.length === 0) return;
    await this.run(
      `UPDATE "signing_auth_connections" AS c SET "last_used_at" = $3,
          "next_refresh_at" = CASE
            WHEN c."status" = 'active' AND c."access_token_expires_at" IS NOT NULL THEN LEAST(
              COALESCE(c."next_refresh_at", 'infinity'::timestamptz),
              c."access_token_expires_at" - LEAST($4 * interval '1 second', COALESCE(
                $5 * (c."access_token_expires_at" - c."last_refreshed_at"), $4 * interval '1 second')))
            ELSE c."next_refresh_at" END
        FROM (SELECT unnest($1::text[]) AS "t", unnest($2::text[]) AS "p") AS u
        WHERE c."tenant_id" = u."t" AND c."provider" = u."p"
        RETURNING c."id"`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.provider), now, leeway.seconds, leeway.fraction],
    );
  }

  private run(sql: string, params: unknown[]): Promise<Row[]> {
    return queryRows(this.dataSource, sql, params);
  }

  /**
   * Runs a write that notifies the other replicas, and when the notification cannot be queued (the
   * server's NOTIFY queue is full: the whole transaction fails at commit with SQLSTATE 54000) runs it
   * again without one. The write is what must never be lost — a rotating provider has spent the old
   * refresh token; a lost notification only leaves other replicas serving the replaced token until their
   * cache entry's own refresh time (docs/scale.md, LISTEN/NOTIFY). Both tries are fenced the same way, and
   * the first left nothing behind (it rolled back), so the second is the same write.
   */
  private async runNotifying(sql: NotifyingSql, params: unknown[]): Promise<Row[]> {
    try {
      return await this.run(sql.notifying, params);
    } catch (error) {
      if ((error as SigningAuthDatabaseError).code !== NOTIFY_QUEUE_FULL) throw error;
      this.warnNotifyQueueFull();
      return this.run(sql.quiet, params);
    }
  }

  private warnNotifyQueueFull(): void {
    const now = performance.now();
    if (now - this.notifyQueueWarnedAt < 60_000) return;
    this.notifyQueueWarnedAt = now;
    this.logger.warn(
      'The database refused a token-change notification (NOTIFY queue full, SQLSTATE 54000): writes go on ' +
        'without notifying; other replicas serve replaced tokens until their cache entries expire. Find the ' +
        'session holding the queue: SELECT pg_notification_queue_usage(); pg_stat_activity (long transactions)',
    );
  }
}
