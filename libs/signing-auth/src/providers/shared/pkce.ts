import { createHash, randomBytes } from 'node:crypto';

/**
 * PKCE (RFC 7636) and state values. A verifier of 32 random bytes is 43 base64url characters (the RFC's
 * minimum length, 256 bits of entropy); S256 is the only method we send.
 * @internal
 */
export function randomUrlSafe(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function pkceChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Query string with `%20` for spaces (DocuSign documents `scope=signature%20extended`). */
export function queryString(params: Record<string, string | undefined>): string {
  return Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}
