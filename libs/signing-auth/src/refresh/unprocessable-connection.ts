import type { ConnectionCipher, DecryptedConnection } from '../connections/connection-cipher.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import { UnknownProviderError } from '../connections/connection.errors.js';
import { SecretDecryptionError } from '../crypto/crypto.errors.js';
import type { StrategyRegistry } from '../providers/strategy-registry.js';
import type { SigningAuthStrategy } from '../providers/strategy.interface.js';
import { SigningAuthUnprocessableConnectionError } from './refresh.errors.js';

/**
 * `last_error` of a row marked unprocessable starts with this, so the health indicator can count poison rows
 * apart from provider failures (both are status `error`). Migration 1765100000000's partial index
 * `signing_auth_connections_unprocessable_idx` repeats it: changing it needs a migration.
 * @internal
 */
export const UNPROCESSABLE_PREFIX = 'unprocessable: ';

/**
 * The typed error for a row this app cannot work on (a "poison row"), or null when `error` is something
 * else (a database error, a provider failure): only a problem with the stored data or the configuration
 * qualifies, because those never go away by retrying at once.
 * @internal
 */
export function toUnprocessable(
  error: unknown,
  tenantId: string,
  provider: string,
): SigningAuthUnprocessableConnectionError | null {
  if (error instanceof SigningAuthUnprocessableConnectionError) return error;
  if (error instanceof SecretDecryptionError) {
    return new SigningAuthUnprocessableConnectionError(
      tenantId,
      provider,
      error.reason,
      describe(error),
      error.reason === 'malformed' ? undefined : error.keyId,
    );
  }
  if (error instanceof UnknownProviderError) {
    return new SigningAuthUnprocessableConnectionError(
      tenantId,
      provider,
      'unknown_provider',
      `${error.message} (a custom strategy was removed from the options?)`,
    );
  }
  if (error instanceof SyntaxError) {
    // Decrypted fine but is not the JSON object the library wrote: the row was edited by hand.
    return new SigningAuthUnprocessableConnectionError(
      tenantId,
      provider,
      'malformed',
      'the decrypted secrets are not the JSON object signing-auth stores',
    );
  }
  return null;
}

/** Decrypts a row, turning every "cannot read this row" error into the typed one. @internal */
export function openConnection(cipher: ConnectionCipher, row: ConnectionEntity): DecryptedConnection {
  try {
    return cipher.decryptRow(row);
  } catch (error) {
    throw toUnprocessable(error, row.tenantId, row.provider) ?? error;
  }
}

/** The row's strategy, or the typed error when the app no longer has one for its provider. @internal */
export function strategyOf(strategies: StrategyRegistry, row: ConnectionEntity): SigningAuthStrategy {
  try {
    return strategies.get(row.provider);
  } catch (error) {
    throw toUnprocessable(error, row.tenantId, row.provider) ?? error;
  }
}

function describe({ field, keyId, reason }: SecretDecryptionError): string {
  switch (reason) {
    case 'unknown_key':
      return (
        `${field} is encrypted with key "${keyId}" and the keyring has no key with that id ` +
        '(add it to encryptionKeys as a decryption key)'
      );
    case 'authentication_failed':
      return (
        `${field} (key "${keyId}") fails authentication: altered, copied from another row or field, ` +
        'or a different key under that id'
      );
    case 'malformed':
      return `${field} is not in the signing-auth ciphertext format`;
  }
}
