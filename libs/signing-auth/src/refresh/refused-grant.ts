import { createHash } from 'node:crypto';
import type { ConnectionEntity } from '../connections/connection.entity.js';

/**
 * The metadata key that remembers which stored refresh token the provider declared dead. Its value is a
 * fingerprint of the refresh token's *ciphertext* (never of the token), so it says nothing about the token;
 * any new grant written in (a callback, a restore, a re-encryption) has another ciphertext and another
 * fingerprint. Internal: left out of connection views.
 * @internal
 */
export const REFUSED_GRANT_KEY = 'refusedGrant';

/** The metadata to record when a connection holding a refresh token is marked `needs_reauth`. @internal */
export function refusedGrantMark(
  row: Pick<ConnectionEntity, 'refreshTokenCiphertext'>,
): Record<string, string> {
  return row.refreshTokenCiphertext ? { [REFUSED_GRANT_KEY]: fingerprint(row.refreshTokenCiphertext) } : {};
}

/**
 * True when a `needs_reauth` connection still holds the very refresh token the provider declared dead: a
 * forced refresh would only re-send it (some providers count reuse of a dead token as an attack signal).
 * @internal
 */
export function holdsRefusedGrant(
  row: Pick<ConnectionEntity, 'status' | 'refreshTokenCiphertext' | 'metadata'>,
): boolean {
  const mark = row.metadata?.[REFUSED_GRANT_KEY];
  return (
    row.status === 'needs_reauth' &&
    typeof mark === 'string' &&
    !!row.refreshTokenCiphertext &&
    mark === fingerprint(row.refreshTokenCiphertext)
  );
}

function fingerprint(ciphertext: string): string {
  return createHash('sha256').update(ciphertext).digest('hex').slice(0, 16);
}
