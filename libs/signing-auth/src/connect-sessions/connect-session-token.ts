import { createHash, randomBytes } from 'node:crypto';

/** Every connect session token starts with this, so a reader (and the guard) can tell it from an admin token. */
export const CONNECT_SESSION_TOKEN_PREFIX = 'sa_cs_';

/** The prefix and 43 base64url characters (32 random bytes, 256 bits). */
const TOKEN_PATTERN = /^sa_cs_[A-Za-z0-9_-]{43}$/;

/** A new token: 256 random bits. Shown once; only {@link hashSessionToken} of it is stored. @internal */
export function newSessionToken(): string {
  return `${CONNECT_SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * SHA-256, hex. A plain hash suffices (no salt, no slow KDF): the token is 256 random bits, so neither a
 * dictionary nor brute force applies, and lookups stay one indexed equality. @internal
 */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a string has the shape of a session token (checked before any database lookup). @internal */
export function isSessionTokenShape(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/** The bearer value of an `Authorization` header when it carries a session token's prefix. @internal */
export function sessionBearer(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match && match[1].startsWith(CONNECT_SESSION_TOKEN_PREFIX) ? match[1] : undefined;
}
