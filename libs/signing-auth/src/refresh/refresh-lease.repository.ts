import { Inject, Injectable } from '@nestjs/common';
import { In, type DataSource } from 'typeorm';
import { guardDatabase, queryRows, type Row } from '../common/query-rows.js';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import { ConnectionCipher } from '../connections/connection-cipher.js';
import type { ConnectionStatus } from '../connections/connection-status.js';
import { ConnectionEntity } from '../connections/connection.entity.js';
import type { TokenGrant } from '../providers/strategy.interface.js';

/** Channel of the cross-replica "a token changed" notification. Payload: tenant, provider, version. */
export const TOKEN_CHANGED_CHANNEL = 'signing_auth_token_changed';

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

/** Milliseconds left on the lease, measured by the database when the statement ran. */
const LEASE_LEFT_MS = `(extract(epoch from ("lease_expires_at" - clock_timestamp())) * 1000)::float8`;

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
    RETURNING "id", ${LEASE_LEFT_MS} AS "left"`;

/** Which connections a sweep pass may take (absent: all). */
export interface SweepScope {
  providers?: string[];
  tenantIds?: string[];
}

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
   * Takes the lease if it is free or lapsed; returns the re-read row, or null when another holds it.
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
        RETURNING "id", ${LEASE_LEFT_MS} AS "left"`,
      [tenantId, provider, owner, leaseMs],
    );
    if (rows.length === 0) return null;
    const row = await guardDatabase(() =>
      this.dataSource.getRepository(ConnectionEntity).findOneBy({ id: rows[0].id as string }),
    );
    if (row) this.deadlines.set(row, sent + Number(rows[0].left));
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
    if (rows.length === 0) return [];
    const left = new Map(rows.map((r) => [r.id as string, Number(r.left)]));
    const claimed = await guardDatabase(() =>
      this.dataSource.getRepository(ConnectionEntity).findBy({ id: In(rows.map((r) => r.id as string)) }),
    );
    for (const row of claimed) this.deadlines.set(row, sent + (left.get(row.id) ?? 0));
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
    const rows = await this.run(
      `WITH "input" AS (
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
       SELECT "id", "version", pg_notify('${TOKEN_CHANGED_CHANNEL}',
                json_build_object('t', "tenant_id", 'p', "provider", 'v', "version")::text) AS "n"
         FROM "updated"`,
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
    const rows = await this.run(
      `WITH "updated" AS (
         UPDATE "signing_auth_connections" SET
           "status" = $4, "failure_count" = $5, "last_error" = $6, "next_refresh_at" = $7,
           "metadata" = "metadata" || $8::jsonb,
           "lease_owner" = NULL, "lease_expires_at" = NULL,
           "version" = "version" + (CASE WHEN $9::boolean THEN 1 ELSE 0 END), "updated_at" = $10
         WHERE "id" = $1 AND "version" = $3 AND (CASE WHEN $2::text IS NULL
           THEN ("lease_owner" IS NULL OR "lease_expires_at" < clock_timestamp())
           ELSE "lease_owner" = $2 END)
         RETURNING "tenant_id", "provider", "version")
       SELECT "version", CASE WHEN $9::boolean THEN pg_notify('${TOKEN_CHANGED_CHANNEL}',
                json_build_object('t', "tenant_id", 'p', "provider", 'v', "version")::text) END AS "n"
         FROM "updated"`,
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
}
