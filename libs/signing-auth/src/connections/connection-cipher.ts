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
