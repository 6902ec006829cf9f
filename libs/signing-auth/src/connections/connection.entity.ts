import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ConnectionStatus } from './connection-status.js';

/**
 * One tenant's account at one provider. Every secret column holds ciphertext only (see SecretCipher).
 * The schema is made by the migrations in ../migrations, never by `synchronize`.
 * @internal
 */
@Entity({ name: 'signing_auth_connections' })
@Index('signing_auth_connections_tenant_provider_uq', ['tenantId', 'provider'], { unique: true })
export class ConnectionEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 200 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ type: 'varchar', length: 32 })
  status!: ConnectionStatus;

  @Column({ name: 'grant_type', type: 'varchar', length: 64 })
  grantType!: string;

  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  scopes!: string[];

  /** Non-secret settings (client id, environment, region, ...). */
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  config!: Record<string, unknown>;

  /** Ciphertext of the JSON object of secret settings (client secret, private key, token secret). */
  @Column({ name: 'secrets_ciphertext', type: 'text' })
  secretsCiphertext!: string;

  @Column({ name: 'access_token_ciphertext', type: 'text', nullable: true })
  accessTokenCiphertext!: string | null;

  @Column({ name: 'token_type', type: 'varchar', length: 32, nullable: true })
  tokenType!: string | null;

  @Column({ name: 'refresh_token_ciphertext', type: 'text', nullable: true })
  refreshTokenCiphertext!: string | null;

  @Column({ name: 'access_token_expires_at', type: 'timestamptz', nullable: true })
  accessTokenExpiresAt!: Date | null;

  @Column({ name: 'refresh_token_expires_at', type: 'timestamptz', nullable: true })
  refreshTokenExpiresAt!: Date | null;

  /** When the refresh token was issued; with its expiry this gives its lifetime for early renewal. */
  @Column({ name: 'refresh_token_issued_at', type: 'timestamptz', nullable: true })
  refreshTokenIssuedAt!: Date | null;

  @Column({ name: 'last_refreshed_at', type: 'timestamptz', nullable: true })
  lastRefreshedAt!: Date | null;

  /** When the sweep should next look at this connection; null when nothing is scheduled. */
  @Column({ name: 'next_refresh_at', type: 'timestamptz', nullable: true })
  nextRefreshAt!: Date | null;

  /** Last time an app asked for this connection's token; the sweep keeps only used tokens warm. */
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'failure_count', type: 'integer', default: 0 })
  failureCount!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata!: Record<string, unknown>;

  /** The replica holding the refresh lease, if any. */
  @Column({ name: 'lease_owner', type: 'varchar', length: 100, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;

  /** Bumped by every write of a grant: a lease holder writes back only if nobody wrote in between. */
  @Column({ type: 'integer', default: 0 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
