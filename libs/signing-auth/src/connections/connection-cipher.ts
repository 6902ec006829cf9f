import { Injectable } from '@nestjs/common';
import { SecretCipher } from '../crypto/secret-cipher.js';
import type { StrategyConnection } from '../providers/strategy.interface.js';
import type { ConnectionEntity } from './connection.entity.js';

/** The encrypted columns of a connection row, named as they appear in the associated data. */
export const CONNECTION_SECRET_FIELDS = {
  secretsCiphertext: 'secrets',
  accessTokenCiphertext: 'access_token',
  refreshTokenCiphertext: 'refresh_token',
} as const;

export type ConnectionSecretColumn = keyof typeof CONNECTION_SECRET_FIELDS;

/**
 * The field name binding a sealed consent link (kept in `metadata.consentUrl`) to its (tenant, provider).
 * @internal
 */
export const CONSENT_URL_FIELD = 'consent_url';

/** A connection row with its secrets decrypted. Lives only in memory; never log it. @internal */
export interface DecryptedConnection extends StrategyConnection {
  row: ConnectionEntity;
  accessToken: string | null;
}

/**
 * Encrypts and decrypts the secret columns of one connection row, binding each value to
 * (tenant, provider, column).
 * @internal
 */
@Injectable()
export class ConnectionCipher {
  constructor(private readonly cipher: SecretCipher) {}

  encrypt(tenantId: string, provider: string, column: ConnectionSecretColumn, plaintext: string): string {
    return this.cipher.encrypt(plaintext, { tenantId, provider, field: CONNECTION_SECRET_FIELDS[column] });
  }

  decrypt(tenantId: string, provider: string, column: ConnectionSecretColumn, stored: string): string {
    return this.cipher.decrypt(stored, { tenantId, provider, field: CONNECTION_SECRET_FIELDS[column] });
  }

  encryptSecrets(tenantId: string, provider: string, secrets: Record<string, string>): string {
    return this.encrypt(tenantId, provider, 'secretsCiphertext', JSON.stringify(secrets));
  }

  /**
   * A consent link carries a live OAuth state: it is stored encrypted like every other secret (in
   * `metadata.consentUrl`), so a database reader, a backup or the WAL cannot complete or burn the flow.
   */
  sealConsentUrl(tenantId: string, provider: string, url: string): string {
    return this.cipher.encrypt(url, { tenantId, provider, field: CONSENT_URL_FIELD });
  }

  /**
   * The row's consent link in the clear, or `undefined` when it has none or it cannot be opened (written
   * under a key since removed from the keyring, or not sealed: rows from before sealing were cleared by the
   * migration): an admin's "refresh now" then hands out a new one.
   */
  consentUrlOf(row: Pick<ConnectionEntity, 'tenantId' | 'provider' | 'metadata'>): string | undefined {
    const sealed = row.metadata?.consentUrl;
    if (typeof sealed !== 'string' || !sealed) return undefined;
    try {
      return this.cipher.decrypt(sealed, {
        tenantId: row.tenantId,
        provider: row.provider,
        field: CONSENT_URL_FIELD,
      });
    } catch {
      return undefined;
    }
  }

  decryptRow(row: ConnectionEntity): DecryptedConnection {
    const { tenantId, provider } = row;
    const secrets = JSON.parse(
      this.decrypt(tenantId, provider, 'secretsCiphertext', row.secretsCiphertext),
    ) as Record<string, string>;
    return {
      row,
      tenantId,
      provider,
      config: row.config ?? {},
      secrets,
      metadata: row.metadata ?? {},
      refreshToken: row.refreshTokenCiphertext
        ? this.decrypt(tenantId, provider, 'refreshTokenCiphertext', row.refreshTokenCiphertext)
        : null,
      accessToken: row.accessTokenCiphertext
        ? this.decrypt(tenantId, provider, 'accessTokenCiphertext', row.accessTokenCiphertext)
        : null,
    };
  }
}
