import { optionName } from '../common/option-names.js';

/**
 * Raised when a stored secret cannot be decrypted: a tampered value, a value moved to another row
 * or field (associated data mismatch), or a key id the keyring does not hold.
 * The message names tenant, provider, field and key id, never the secret or the key.
 * @publicApi
 */
export class SecretDecryptionError extends Error {
  override readonly name = 'SecretDecryptionError';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
    readonly field: string,
    readonly keyId: string,
    readonly reason: 'unknown_key' | 'authentication_failed' | 'malformed',
  ) {
    super(
      `Cannot decrypt ${field} of connection (tenant "${tenantId}", provider "${provider}") with key "${keyId}": ` +
        describeReason(reason),
    );
  }
}

function describeReason(reason: SecretDecryptionError['reason']): string {
  switch (reason) {
    case 'unknown_key':
      return `the keyring has no key with that id (add it to ${optionName('encryptionKeys')} as a decryption key)`;
    case 'authentication_failed':
      return 'authentication failed (the value was altered, copied from another row or field, or the key is wrong)';
    case 'malformed':
      return 'the stored value is not in the signing-auth ciphertext format';
  }
}

/**
 * Raised at bootstrap when the encryption keys in the options are unusable. The message says the fix.
 * @publicApi
 */
export class InvalidEncryptionKeysError extends Error {
  override readonly name = 'InvalidEncryptionKeysError';
}
