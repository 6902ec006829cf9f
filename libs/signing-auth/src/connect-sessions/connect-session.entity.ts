import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A connect session: a tenant-scoped bearer token for the Connect page. Only the token's SHA-256 is stored.
 * Read and written with plain SQL (`ConnectSessionRepository`); the entity exists so `synchronize` and
 * CLI data sources know the table. The schema comes from migration 1766000000000.
 * @internal
 */
@Entity({ name: 'signing_auth_connect_sessions' })
export class ConnectSessionEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 200 })
  tenantId!: string;

  /** NULL: every provider the module knows. */
  @Column({ type: 'jsonb', nullable: true })
  providers!: string[] | null;

  @Column({ name: 'return_url', type: 'text', nullable: true })
  returnUrl!: string | null;

  @Column({ name: 'allow_delete', type: 'boolean', default: false })
  allowDelete!: boolean;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
