import { Inject, Injectable } from '@nestjs/common';
import { In, type DataSource } from 'typeorm';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { queryRows } from '../common/query-rows.js';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import { ConnectionEntity } from '../connections/connection.entity.js';
import type { SweepScope } from './refresh-lease.repository.js';
import { accessTokenDueAt, toDate } from './refresh-policy.js';
import type { SigningAuthSweepDueConnection } from './sweep-report.js';

/** Due rows in a scope: the same conditions as `RefreshLeaseRepository.claimDue`, leases aside. */
const DUE = `"next_refresh_at" IS NOT NULL AND "next_refresh_at" <= $1 AND "status" IN ('active', 'error')
  AND ($2::text[] IS NULL OR "provider" = ANY($2::text[]))
  AND ($3::text[] IS NULL OR "tenant_id" = ANY($3::text[]))`;

/** A live lease, on the database's clock. */
const HELD = `("lease_owner" IS NOT NULL AND "lease_expires_at" >= clock_timestamp())`;

/**
 * Read-only questions a sweep pass asks about what is due: how many (for progress), who holds the rest
 * (for the report), and — for a dry run — which and why. Never takes a lease, never writes.
 * @internal
 */
@Injectable()
export class SweepDueQuery {
  constructor(
    @Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /**
   * Due connections by lease state: `held` by a live lease (another replica or job), `free` otherwise.
   * Leases are judged on the database's clock, as when claiming (docs/decisions/006).
   */
  async count(scope: SweepScope, dueBy: Date): Promise<{ held: number; free: number }> {
    const [row] = await queryRows(
      this.dataSource,
      `SELECT count(*) FILTER (WHERE ${HELD})::int AS "held", count(*) FILTER (WHERE NOT ${HELD})::int AS "free"
         FROM "signing_auth_connections" WHERE ${DUE}`,
      [dueBy, scope.providers ?? null, scope.tenantIds ?? null],
    );
    return { held: Number(row?.held ?? 0), free: Number(row?.free ?? 0) };
  }

  /** The first `limit` due connections, oldest due first, each with the reason it is due. */
  async list(
    scope: SweepScope,
    dueBy: Date,
    now: Date,
    limit: number,
  ): Promise<SigningAuthSweepDueConnection[]> {
    const ids = await queryRows(
      this.dataSource,
      `SELECT "id", ${HELD} AS "held" FROM "signing_auth_connections" WHERE ${DUE}
        ORDER BY "next_refresh_at", "id" LIMIT $4`,
      [dueBy, scope.providers ?? null, scope.tenantIds ?? null, limit],
    );
    if (ids.length === 0) return [];
    const order = new Map(ids.map((r, i) => [String(r.id), i]));
    const held = new Set(ids.filter((r) => r.held === true).map((r) => String(r.id)));
    const rows = await this.dataSource.getRepository(ConnectionEntity).findBy({ id: In([...order.keys()]) });
    rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    return rows.map((row) => ({
      tenantId: row.tenantId,
      provider: row.provider,
      status: row.status as 'active' | 'error',
      dueAt: toDate(row.nextRefreshAt)!.toISOString(),
      reason: this.reason(row, now, held.has(row.id)),
    }));
  }

  /** Why a due row is due, from its stored timestamps only (nothing is decrypted). */
  private reason(row: ConnectionEntity, now: Date, held: boolean): string {
    const reasons: string[] = [];
    if (held) reasons.push(`held by another replica until ${toDate(row.leaseExpiresAt)?.toISOString()}`);
    if (row.status === 'error') {
      reasons.push(`retry after ${row.failureCount} failed attempt(s): ${row.lastError ?? 'unknown error'}`);
    }
    // As in refreshDueAt: access tokens are kept warm only for connections in use.
    const lastUsedAt = toDate(row.lastUsedAt);
    const inUse =
      lastUsedAt !== null &&
      now.getTime() - lastUsedAt.getTime() <= this.options.sweep.activeWindowSeconds * 1000;
    const accessDue = accessTokenDueAt(this.options, row);
    const accessExpires = toDate(row.accessTokenExpiresAt);
    if (inUse && accessDue && accessExpires && accessDue <= now) {
      reasons.push(
        accessExpires <= now
          ? `access token expired at ${accessExpires.toISOString()}`
          : `access token expires at ${accessExpires.toISOString()}`,
      );
    }
    const rtIssued = toDate(row.refreshTokenIssuedAt);
    const rtExpires = toDate(row.refreshTokenExpiresAt);
    if (row.refreshTokenCiphertext && rtIssued && rtExpires && rtExpires > rtIssued) {
      const renewAt =
        rtIssued.getTime() +
        this.options.refresh.refreshTokenRenewFraction * (rtExpires.getTime() - rtIssued.getTime());
      if (renewAt <= now.getTime())
        reasons.push(`refresh token renewal (expires ${rtExpires.toISOString()})`);
    }
    return reasons.length > 0 ? reasons.join('; ') : 'scheduled (will be re-checked when claimed)';
  }
}
