import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { guardDatabase, queryRows } from '../common/query-rows.js';
import { SIGNING_AUTH_DATA_SOURCE } from '../common/tokens.js';
import type { TokenGrant, ValidatedConnectionInput } from '../providers/strategy.interface.js';
import { ConnectionCipher } from './connection-cipher.js';
import type { ConnectionStatus } from './connection-status.js';
import { ConnectionEntity } from './connection.entity.js';

/**
 * Reads and writes connection rows. Plaintext secrets go in, ciphertext is what reaches the database.
 * @internal
 */
@Injectable()
export class ConnectionRepository {
  constructor(
    @Inject(SIGNING_AUTH_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly cipher: ConnectionCipher,
  ) {}

  repo(manager?: EntityManager): Repository<ConnectionEntity> {
    return (manager ?? this.dataSource.manager).getRepository(ConnectionEntity);
  }

  findOne(tenantId: string, provider: string): Promise<ConnectionEntity | null> {
    return guardDatabase(() => this.repo().findOne({ where: { tenantId, provider } }));
  }

  listByTenant(tenantId: string): Promise<ConnectionEntity[]> {
    return guardDatabase(() => this.repo().find({ where: { tenantId }, order: { provider: 'ASC' } }));
  }

  /**
   * Creates the connection, or replaces its settings and forgets its grant. The version bump fences out
   * any refresh that was in flight for the old settings.
   */
  async upsert(
    tenantId: string,
    provider: string,
    input: ValidatedConnectionInput,
    status: ConnectionStatus,
    now: Date,
  ): Promise<ConnectionEntity> {
    const secretsCiphertext = this.cipher.encryptSecrets(tenantId, provider, input.secrets);
    await queryRows(
      this.dataSource,
      `INSERT INTO "signing_auth_connections"
         ("id", "tenant_id", "provider", "status", "grant_type", "scopes", "config", "secrets_ciphertext",
          "metadata", "created_at", "updated_at")
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, '{}'::jsonb, $9, $9)
       ON CONFLICT ("tenant_id", "provider") DO UPDATE SET
         "status" = EXCLUDED."status",
         "grant_type" = EXCLUDED."grant_type",
         "scopes" = EXCLUDED."scopes",
         "config" = EXCLUDED."config",
         "secrets_ciphertext" = EXCLUDED."secrets_ciphertext",
         "access_token_ciphertext" = NULL,
         "token_type" = NULL,
         "refresh_token_ciphertext" = NULL,
         "access_token_expires_at" = NULL,
         "refresh_token_expires_at" = NULL,
         "refresh_token_issued_at" = NULL,
         "next_refresh_at" = NULL,
         "failure_count" = 0,
         "last_error" = NULL,
         "metadata" = '{}'::jsonb,
         "lease_owner" = NULL,
         "lease_expires_at" = NULL,
         "version" = "signing_auth_connections"."version" + 1,
         "updated_at" = EXCLUDED."updated_at"`,
      [
        randomUUID(),
        tenantId,
        provider,
        status,
        input.grantType,
        JSON.stringify(input.scopes),
        JSON.stringify(input.config),
        secretsCiphertext,
        now,
      ],
    );
    return (await this.findOne(tenantId, provider)) as ConnectionEntity;
  }

  /**
   * Records why a just-saved connection could not be verified: `error` with a retry time (provider
   * unreachable) or `needs_reauth` with a consent link (DocuSign JWT). Returns the row.
   */
  async recordVerification(
    tenantId: string,
    provider: string,
    state: {
      status: 'error' | 'needs_reauth';
      lastError: string;
      metadata: Record<string, unknown>;
      nextRefreshAt: Date | null;
    },
    now: Date,
  ): Promise<ConnectionEntity | null> {
    await queryRows(
      this.dataSource,
      `UPDATE "signing_auth_connections" SET "status" = $3, "last_error" = $4, "metadata" = $5::jsonb,
         "next_refresh_at" = $6, "failure_count" = 1, "version" = "version" + 1, "updated_at" = $7
       WHERE "tenant_id" = $1 AND "provider" = $2`,
      [
        tenantId,
        provider,
        state.status,
        state.lastError,
        JSON.stringify(state.metadata),
        state.nextRefreshAt,
        now,
      ],
    );
    return this.findOne(tenantId, provider);
  }

  /**
   * Replaces the metadata of a connection the connect flow just stored (the post-connect step's result),
   * bumping the version so caches in every replica reload it. Returns the row, or null when it is gone.
   */
  async replaceMetadata(
    row: ConnectionEntity,
    metadata: Record<string, unknown>,
  ): Promise<ConnectionEntity | null> {
    const rows = await queryRows(
      this.dataSource,
      `UPDATE "signing_auth_connections" SET "metadata" = $3::jsonb, "version" = "version" + 1
       WHERE "tenant_id" = $1 AND "provider" = $2 RETURNING "id"`,
      [row.tenantId, row.provider, JSON.stringify(metadata)],
    );
    return rows.length === 0 ? null : this.findOne(row.tenantId, row.provider);
  }

  /**
   * Stores the grant a connect flow (authorization code exchange) just obtained, in one statement: tokens
   * as ciphertext, expiries, status `active`, failures cleared, lease released, and `version + 1` so any
   * refresh in flight with the old grant is fenced out of writing back.
   * `grant.refreshToken`: a string replaces the stored one, `null` clears it, `undefined` keeps it;
   * `grant.refreshTokenExpiresAt` likewise. `metadata`: replaces the stored metadata; `undefined` keeps it.
   * Returns null when the connection no longer exists (deleted while the flow ran).
   */
  async storeConnectedGrant(
    tenantId: string,
    provider: string,
    grant: TokenGrant,
    metadata: Record<string, unknown> | undefined,
    now: Date,
  ): Promise<ConnectionEntity | null> {
    const enc = (column: 'accessTokenCiphertext' | 'refreshTokenCiphertext', value: string): string =>
      this.cipher.encrypt(tenantId, provider, column, value);
    const setRefresh = grant.refreshToken !== undefined;
    const setRefreshExpiry = grant.refreshTokenExpiresAt !== undefined || grant.refreshToken === null;
    const rows = await queryRows(
      this.dataSource,
      `UPDATE "signing_auth_connections" SET
         "access_token_ciphertext" = $3,
         "token_type" = $4,
         "access_token_expires_at" = $5,
         "refresh_token_ciphertext" = CASE WHEN $6::boolean THEN $7::text ELSE "refresh_token_ciphertext" END,
         "refresh_token_issued_at" = CASE WHEN $6::boolean THEN
             (CASE WHEN $7::text IS NULL THEN NULL ELSE $10::timestamptz END)
           ELSE "refresh_token_issued_at" END,
         "refresh_token_expires_at" = CASE WHEN $8::boolean THEN $9::timestamptz ELSE "refresh_token_expires_at" END,
         "scopes" = COALESCE($11::jsonb, "scopes"),
         "metadata" = COALESCE($12::jsonb, "metadata"),
         "status" = 'active',
         "failure_count" = 0,
         "last_error" = NULL,
         "last_refreshed_at" = $10,
         "lease_owner" = NULL,
         "lease_expires_at" = NULL,
         "version" = "version" + 1,
         "updated_at" = $10
       WHERE "tenant_id" = $1 AND "provider" = $2
       RETURNING "id"`,
      [
        tenantId,
        provider,
        enc('accessTokenCiphertext', grant.accessToken),
        grant.tokenType,
        grant.expiresAt,
        setRefresh,
        typeof grant.refreshToken === 'string' ? enc('refreshTokenCiphertext', grant.refreshToken) : null,
        setRefreshExpiry,
        grant.refreshToken === null ? null : (grant.refreshTokenExpiresAt ?? null),
        now,
        grant.scopes && grant.scopes.length > 0 ? JSON.stringify(grant.scopes) : null,
        metadata === undefined ? null : JSON.stringify(metadata),
      ],
    );
    if (rows.length === 0) return null;
    return this.findOne(tenantId, provider);
  }

  /**
   * Deletes the row, and with it every ciphertext and pending authorization of the connection. One
   * statement, so it is atomic also on the embedded database, whose single connection cannot isolate
   * concurrent transactions.
   */
  async delete(tenantId: string, provider: string): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      `WITH pending AS (
         DELETE FROM "signing_auth_pending_authorizations" WHERE "tenant_id" = $1 AND "provider" = $2
       )
       DELETE FROM "signing_auth_connections" WHERE "tenant_id" = $1 AND "provider" = $2 RETURNING "id"`,
      [tenantId, provider],
    );
    return rows.length > 0;
  }
}
