/**
 * Checks a DocuSign JWT-grant assertion (providers.md §1.7): RS256 signature with the integration key's public key,
 * `aud` (bare host), `iat`/`exp` on the emulator clock and a lifetime of at most one hour. The `error_description`
 * values follow the DocuSign-staff answers quoted in providers.md where one exists; `invalid_audience`,
 * `expired_assertion`, `invalid_assertion` and `invalid_assertion_lifetime` are this emulator's own words.
 */
import type { KeyObject } from 'node:crypto';
import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { oauthError, type EmulatorReply } from './common.js';

export interface AssertionCheck {
  audience: string | string[];
  /** Emulator clock, epoch ms. */
  now: number;
  maxLifetimeSeconds: number;
}

export async function checkAssertion<C extends { clientId: string; publicKey?: KeyObject }>(
  assertion: string | undefined,
  findClient: (iss: string) => C | undefined,
  check: AssertionCheck,
): Promise<{ client: C; claims: JWTPayload } | EmulatorReply> {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion ?? '');
  } catch {
    return oauthError('invalid_grant', 'invalid_assertion');
  }
  const client = findClient(String(claims.iss ?? ''));
  if (!client) return oauthError('invalid_grant', 'issuer_not_found');
  if (!client.publicKey) return oauthError('invalid_grant', 'no_valid_keys_or_signatures');
  try {
    await jwtVerify(assertion ?? '', client.publicKey, {
      algorithms: ['RS256'],
      audience: check.audience,
      currentDate: new Date(check.now),
      requiredClaims: ['iat', 'exp'],
    });
  } catch (err) {
    const { code, claim } = err as { code?: string; claim?: string };
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'aud')
      return oauthError('invalid_grant', 'invalid_audience');
    if (code === 'ERR_JWT_EXPIRED') return oauthError('invalid_grant', 'expired_assertion');
    // Bad signature, wrong key, `iat` in the future (clock skew): DocuSign reports all of these this way.
    return oauthError('invalid_grant', 'no_valid_keys_or_signatures');
  }
  if (Number(claims.exp) - Number(claims.iat) > check.maxLifetimeSeconds) {
    return oauthError('invalid_grant', 'invalid_assertion_lifetime');
  }
  return { client, claims };
}
