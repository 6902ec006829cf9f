import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A started authorization-code flow, waiting for the provider's callback. Lives in the database so any
 * replica can complete a flow another started. The state is stored as a SHA-256 hash; the PKCE verifier
 * as ciphertext. Single use: `consumed_at` is set atomically when the callback arrives.
 * @internal
 */
@Entity({ name: 'signing_auth_pending_authorizations' })
export class PendingAuthorizationEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'state_hash', type: 'varchar', length: 64, unique: true })
  stateHash!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 200 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ name: 'code_verifier_ciphertext', type: 'text' })
  codeVerifierCiphertext!: string;

  /** `authorization` (connect flow) or `consent` (a consent link from a `consent_required` failure). */
  @Column({ type: 'varchar', length: 16, default: 'authorization' })
  kind!: 'authorization' | 'consent';

  @Column({ name: 'redirect_uri', type: 'text' })
  redirectUri!: string;

  /** The connect session that started the flow, if one did: its callback returns to the Connect page. */
  @Column({ name: 'connect_session_id', type: 'uuid', nullable: true })
  connectSessionId!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
