import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { queryRows, type Row } from '../common/query-rows.js';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';

/** A stored session as the library reads it. @internal */
export interface ConnectSessionRow {
  id: string;
  tenantId: string;
  /** `null`: every provider the module knows. */
  providers: string[] | null;
  returnUrl: string | null;
  allowDelete: boolean;
  expiresAt: Date;
}

/** What a token hash resolves to, judged on the database clock. @internal */
export type ConnectSessionLookup =
  { ok: true; row: ConnectSessionRow } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' };

/** Expired sessions are kept this long, so a late request hears "expired" rather than "unknown". */
const RETENTION_SQL = `interval '1 hour'`;

/**
 * The connect-session table. Every time judgement uses `now()` of the database, never an app clock: any
 * replica, whatever its clock, agrees on whether a session is open. Each change is one statement (atomic
 * also on the embedded database).
 * @internal
 */
@Injectable()
export class ConnectSessionRepository {
  constructor(@Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Stores a session expiring `lifetimeSeconds` after the database's now; returns the row. */
  async insert(session: {
    tokenHash: string;
    tenantId: string;
    providers: string[] | null;
    returnUrl: string | null;
    allowDelete: boolean;
    lifetimeSeconds: number;
  }): Promise<ConnectSessionRow> {
    const rows = await queryRows(
      this.dataSource,
      `INSERT INTO "signing_auth_connect_sessions"
         ("id", "token_hash", "tenant_id", "providers", "return_url", "allow_delete", "expires_at")
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, now() + $7::int * interval '1 second')
       RETURNING "id", "tenant_id", "providers", "return_url", "allow_delete", "expires_at"`,
      [
        randomUUID(),
        session.tokenHash,
        session.tenantId,
        session.providers ? JSON.stringify(session.providers) : null,
        session.returnUrl,
        session.allowDelete,
        session.lifetimeSeconds,
      ],
    );
    return toRow(rows[0]);
  }

  /** The session of a token hash, if it is open now (database clock); otherwise why not. */
  async lookup(tokenHash: string): Promise<ConnectSessionLookup> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT "id", "tenant_id", "providers", "return_url", "allow_delete", "expires_at",
              "revoked_at" IS NOT NULL AS "revoked", "expires_at" <= now() AS "expired"
         FROM "signing_auth_connect_sessions" WHERE "token_hash" = $1`,
      [tokenHash],
    );
    if (rows.length === 0) return { ok: false, reason: 'unknown' };
    const [row] = rows;
    if (row.revoked === true) return { ok: false, reason: 'revoked' };
    if (row.expired === true) return { ok: false, reason: 'expired' };
    return { ok: true, row: toRow(row) };
  }

  /** Revokes every open session of the tenant; returns how many. */
  async revokeOpen(tenantId: string): Promise<number> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE "signing_auth_connect_sessions" SET "revoked_at" = now()
        WHERE "tenant_id" = $1 AND "revoked_at" IS NULL AND "expires_at" > now()
        RETURNING "id"`,
      [tenantId],
    );
    return rows.length;
  }

  /** Deletes sessions that expired more than an hour ago (revoked ones too: they expire like the rest). */
  async purgeExpired(): Promise<number> {
    const rows = await queryRows(
      this.dataSource,
      `DELETE FROM "signing_auth_connect_sessions" WHERE "expires_at" < now() - ${RETENTION_SQL} RETURNING "id"`,
    );
    return rows.length;
  }
}

function toRow(r: Row): ConnectSessionRow {
  const providers = typeof r.providers === 'string' ? (JSON.parse(r.providers) as unknown) : r.providers;
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    providers: Array.isArray(providers) ? providers.map(String) : null,
    returnUrl: typeof r.return_url === 'string' ? r.return_url : null,
    allowDelete: r.allow_delete === true,
    expiresAt: r.expires_at instanceof Date ? r.expires_at : new Date(String(r.expires_at)),
  };
}
