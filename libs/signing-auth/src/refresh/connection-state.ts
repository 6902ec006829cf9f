import { ConnectionNotFoundError } from '../connections/connection.errors.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import {
  SigningAuthConnectionDisabledError,
  SigningAuthConnectionPendingError,
  SigningAuthReauthRequiredError,
} from './refresh.errors.js';

/**
 * Throws the typed error for a connection that cannot hand out tokens (missing, pending, disabled,
 * needs_reauth). `allowReauth` lets an admin's "refresh now" try again after fixing consent.
 * @internal
 */
export function assertServable(
  row: ConnectionEntity | null,
  tenantId: string,
  provider: string,
  allowReauth = false,
  /** Opens the row's sealed consent link (`ConnectionCipher.consentUrlOf`) for the error. */
  consentUrlOf?: (row: ConnectionEntity) => string | undefined,
): asserts row is ConnectionEntity {
  if (!row) throw new ConnectionNotFoundError(tenantId, provider);
  switch (row.status) {
    case 'pending':
      throw new SigningAuthConnectionPendingError(tenantId, provider);
    case 'disabled':
      throw new SigningAuthConnectionDisabledError(tenantId, provider);
    case 'needs_reauth':
      if (!allowReauth) {
        throw new SigningAuthReauthRequiredError(
          tenantId,
          provider,
          row.lastError ?? 'the provider refused the grant',
          consentUrlOf?.(row),
        );
      }
  }
}
