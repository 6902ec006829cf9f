import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';

/** Inputs of a DocuSign JWT-grant assertion (providers.md §1.7). @internal */
export interface DocuSignAssertionInput {
  integrationKey: string;
  userId: string;
  /** Bare host of the account server, e.g. `account-d.docusign.com` (no scheme). */
  audience: string;
  scopes: string[];
  /** PEM, PKCS#1 (`BEGIN RSA PRIVATE KEY`, what DocuSign hands out) or PKCS#8. */
  privateKeyPem: string;
  now: Date;
  /** `exp - iat`; DocuSign accepts at most one hour. */
  lifetimeSeconds: number;
}

/**
 * Signs the RS256 assertion with `jose`. The key goes through `createPrivateKey` first because DocuSign's
 * keys are PKCS#1, which jose's PEM importers do not read; jose signs with a KeyObject directly.
 * @internal
 */
export async function signDocuSignAssertion(input: DocuSignAssertionInput): Promise<string> {
  const key = createPrivateKey({ key: input.privateKeyPem, format: 'pem' });
  const iat = Math.floor(input.now.getTime() / 1000);
  const lifetime = Math.min(Math.max(60, Math.floor(input.lifetimeSeconds)), 3600);
  return new SignJWT({ scope: input.scopes.join(' ') })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(input.integrationKey)
    .setSubject(input.userId)
    .setAudience(input.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime)
    .sign(key);
}
