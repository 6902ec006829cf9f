import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { queryRows } from '../common/query-rows.js';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import { ConnectionCipher } from '../connections/connection-cipher.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import type { TokenGrant } from '../providers/strategy.interface.js';
import type { GrantWrite } from './grant-write-back.js';
import { RefreshLeaseRepository, TOKEN_CHANGED_CHANNEL } from './refresh-lease.repository.js';

/** Most grants written by one statement. */
const MAX_BATCH = 100;
/** Batch statements in flight at once; writes that arrive meanwhile wait and go together. */
const MAX_IN_FLIGHT = 2;

interface PendingWrite {
  row: ConnectionEntity;
  owner: string;
  grant: TokenGrant;
  write: GrantWrite;
  resolve(version: number | null): void;
  reject(error: unknown): void;
}

/**
 * Writes refreshed grants back several to a statement when they arrive together (a sweep at concurrency
 * 50 finishes refreshes every few hundred microseconds): each statement, with its round trip, driver and
 * ORM work, cost more CPU than the rest of a refresh. No write waits for a timer: the first goes at once,
 * and those that arrive while {@link MAX_IN_FLIGHT} statements are out go together when one comes back.
 *
 * The fencing is the single-row statement's ({@link RefreshLeaseRepository.storeRefreshed}), row by row:
 * each row is written only if this owner still holds its lease and its version is the one read, and each
 * caller learns its own row's new version, or null when fenced out. A batch that fails as a whole (one
 * row's fault fails the statement) is written again row by row, so one row never fails another's write.
 * @internal
 */
@Injectable()
export class BatchedGrantWriter {
  private readonly queue: PendingWrite[] = [];
  private inFlight = 0;

  constructor(
    @Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly cipher: ConnectionCipher,
    private readonly leases: RefreshLeaseRepository,
  ) {}

  /** Same contract as {@link RefreshLeaseRepository.storeRefreshed}: the new version, or null when fenced out. */
  storeRefreshed(
    row: ConnectionEntity,
    owner: string,
    grant: TokenGrant,
    write: GrantWrite,
  ): Promise<number | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, owner, grant, write, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async write(batch: PendingWrite[]): Promise<void> {
    if (batch.length === 1) return this.writeOne(batch[0]);
    let versions: Map<string, number>;
    try {
      versions = await this.writeMany(batch);
    } catch {
      // One row's fault fails the whole statement: write each alone, so each gets its own answer.
      await Promise.all(batch.map((pending) => this.writeOne(pending)));
      return;
    }
    for (const pending of batch) pending.resolve(versions.get(pending.row.id) ?? null);
  }

  private async writeOne(pending: PendingWrite): Promise<void> {
    try {
      pending.resolve(
        await this.leases.storeRefreshed(pending.row, pending.owner, pending.grant, pending.write),
      );
    } catch (error) {
      pending.reject(error);
    }
  }

  /** One statement for the batch; the versions of the rows written (a fenced row is absent). */
  private async writeMany(batch: PendingWrite[]): Promise<Map<string, number>> {
    const columns = batch.map((pending) => this.values(pending));
    const column = (i: number) => columns.map((values) => values[i]);
    const rows = await queryRows(
      this.dataSource,
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
           "metadata" = (c."metadata" - 'consentUrl' - 'accountPending') || i."metadata",
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
      Array.from({ length: 16 }, (_, i) => column(i)),
    );
    return new Map(rows.map((r) => [r.id as string, Number(r.version)]));
  }

  /** One row's values, in the order of the statement's columns (as the single-row write computes them). */
  private values({ row, owner, grant, write }: PendingWrite): unknown[] {
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
}
