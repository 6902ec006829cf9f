import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SecretDecryptionError } from './crypto.errors.js';
import { Keyring } from './keyring.js';
import { randomIv } from './random-ivs.js';

/** Where a ciphertext belongs. It is bound to this through AES-GCM associated data. */
export interface SecretLocation {
  tenantId: string;
  provider: string;
  /** The column or logical field, e.g. `secrets`, `access_token`, `refresh_token`, `code_verifier`. */
  field: string;
}

const FORMAT = 'sa1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with a random 96-bit IV per value. A stored value is
 * `sa1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts): the key id travels with the value, so
 * any key in the keyring can decrypt it and rotation can find what still uses an old key.
 * The associated data binds the value to (tenant, provider, field, key id): copied to another row or
 * field, or relabelled with another key id, it fails authentication.
 */
export class SecretCipher {
  constructor(private readonly keyring: Keyring) {}

  get activeKeyId(): string {
    return this.keyring.activeKeyId;
  }

  encrypt(plaintext: string, location: SecretLocation): string {
    const keyId = this.keyring.activeKeyId;
    const iv = randomIv(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.activeKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(location, keyId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      FORMAT,
      keyId,
      iv.toString('base64url'),
      body.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  decrypt(stored: string, location: SecretLocation): string {
    const parts = typeof stored === 'string' ? stored.split('.') : [];
    const keyId = parts[1] ?? 'unknown';
    if (parts.length !== 5 || parts[0] !== FORMAT) {
      throw new SecretDecryptionError(
        location.tenantId,
        location.provider,
        location.field,
        keyId,
        'malformed',
      );
    }
    const key = this.keyring.get(keyId);
    if (!key) {
      throw new SecretDecryptionError(
        location.tenantId,
        location.provider,
        location.field,
        keyId,
        'unknown_key',
      );
    }
    const iv = Buffer.from(parts[2], 'base64url');
    const tag = Buffer.from(parts[4], 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretDecryptionError(
        location.tenantId,
        location.provider,
        location.field,
        keyId,
        'malformed',
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(location, keyId));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(parts[3], 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretDecryptionError(
        location.tenantId,
        location.provider,
        location.field,
        keyId,
        'authentication_failed',
      );
    }
  }

  /** The key id a stored value was encrypted with, without decrypting it. */
  static keyIdOf(stored: string): string | undefined {
    const parts = stored.split('.');
    return parts.length === 5 && parts[0] === FORMAT ? parts[1] : undefined;
  }
}

/** A JSON array, so no choice of tenant id or field can make two locations encode alike. */
function associatedData(location: SecretLocation, keyId: string): Buffer {
  return Buffer.from(
    JSON.stringify([FORMAT, location.tenantId, location.provider, location.field, keyId]),
    'utf8',
  );
}
