import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { queryRows } from '../common/query-rows.js';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import type { AuthorizationStateFailure } from './authorization.errors.js';

/** A pending authorization as read back from the database. @internal */
export interface PendingAuthorizationRow {
  id: string;
  tenantId: string;
  provider: string;
  /** `authorization`: the connect flow. `consent`: a consent link handed out with a `consent_required` failure. */
  kind: PendingAuthorizationKind;
  codeVerifierCiphertext: string;
  redirectUri: string;
  expiresAt: Date;
}

/** @internal */
export type PendingAuthorizationKind = 'authorization' | 'consent';

/** How long used or expired rows are kept (for telling "replayed"/"expired" from "unknown"). */
const RETENTION_MS = 24 * 3_600_000;

/**
 * Single-use pending authorizations. Every state change is one statement, so it is atomic also on the
 * embedded database (one shared connection, no isolation between concurrent transactions).
 * @internal
 */
@Injectable()
export class PendingAuthorizationRepository {
  constructor(@Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * Stores a new pending authorization. A consent link replaces the connection's live one (if any) in the
   * same statement: at most one consent link per connection is live, so repeated `consent_required`
   * failures do not pile up 7-day states; the replaced link's callback is answered "expired".
   */
  async insert(
    row: Omit<PendingAuthorizationRow, 'id'> & {
      stateHash: string;
      now: Date;
      connectSessionId?: string | null;
    },
  ): Promise<void> {
    const supersede =
      row.kind === 'consent'
        ? `WITH "superseded" AS (
             UPDATE "signing_auth_pending_authorizations" SET "expires_at" = $8
             WHERE "tenant_id" = $3 AND "provider" = $4 AND "kind" = 'consent'
               AND "consumed_at" IS NULL AND "expires_at" > $8
           ) `
        : '';
    await queryRows(
      this.dataSource,
      `${supersede}INSERT INTO "signing_auth_pending_authorizations"
         ("id", "state_hash", "tenant_id", "provider", "code_verifier_ciphertext", "redirect_uri", "expires_at",
          "created_at", "kind", "connect_session_id")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        randomUUID(),
        row.stateHash,
        row.tenantId,
        row.provider,
        row.codeVerifierCiphertext,
        row.redirectUri,
        row.expiresAt,
        row.now,
        row.kind,
        row.connectSessionId ?? null,
      ],
    );
  }

  /** The connect session that started the flow with this state hash, used or not (kept a day, see purge). */
  async connectSessionOf(stateHash: string): Promise<string | undefined> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT "connect_session_id" FROM "signing_auth_pending_authorizations" WHERE "state_hash" = $1`,
      [stateHash],
    );
    const id = rows[0]?.connect_session_id;
    return typeof id === 'string' ? id : undefined;
  }

  /**
   * Marks the authorization with this state hash used, if it is unused and unexpired: one conditional
   * UPDATE, so two callbacks racing with the same state cannot both win. On failure, says why.
   */
  async consume(
    stateHash: string,
    now: Date,
  ): Promise<
    | { ok: true; row: PendingAuthorizationRow }
    | { ok: false; reason: AuthorizationStateFailure; tenantId?: string }
  > {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE "signing_auth_pending_authorizations" SET "consumed_at" = $2
       WHERE "state_hash" = $1 AND "consumed_at" IS NULL AND "expires_at" > $2
       RETURNING "id", "tenant_id", "provider", "kind", "code_verifier_ciphertext", "redirect_uri", "expires_at"`,
      [stateHash, now],
    );
    if (rows.length > 0) return { ok: true, row: toRow(rows[0]) };
    const found = await queryRows(
      this.dataSource,
      `SELECT "tenant_id", "consumed_at" FROM "signing_auth_pending_authorizations" WHERE "state_hash" = $1`,
      [stateHash],
    );
    if (found.length === 0) return { ok: false, reason: 'unknown' };
    const tenantId = String(found[0].tenant_id);
    return { ok: false, reason: found[0].consumed_at ? 'replayed' : 'expired', tenantId };
  }

  /**
   * Forgets authorizations used or expired more than a day ago (until then a late callback is told
   * "replayed" or "expired" rather than "unknown"). Returns how many were dropped.
   */
  async purge(now: Date): Promise<number> {
    const before = new Date(now.getTime() - RETENTION_MS);
    const rows = await queryRows(
      this.dataSource,
      `DELETE FROM "signing_auth_pending_authorizations" WHERE "expires_at" < $1 RETURNING "id"`,
      [before],
    );
    return rows.length;
  }

  /** How many rows {@link purge} would drop now (for a dry run). */
  async countPurgeable(now: Date): Promise<number> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT count(*)::int AS "n" FROM "signing_auth_pending_authorizations" WHERE "expires_at" < $1`,
      [new Date(now.getTime() - RETENTION_MS)],
    );
    return Number(rows[0]?.n ?? 0);
  }
}

function toRow(r: Record<string, unknown>): PendingAuthorizationRow {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    provider: String(r.provider),
    kind: r.kind === 'consent' ? 'consent' : 'authorization',
    codeVerifierCiphertext: String(r.code_verifier_ciphertext),
    redirectUri: String(r.redirect_uri),
    expiresAt: r.expires_at instanceof Date ? r.expires_at : new Date(String(r.expires_at)),
  };
}
