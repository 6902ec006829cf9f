import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks bearer tokens against the configured admin tokens. Only SHA-256 digests are kept in memory, and
 * every digest is compared with `timingSafeEqual` (no early exit), so neither the comparison time nor a
 * heap dump gives a token away.
 * @internal
 */
export class AdminTokenVerifier {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.filter((token) => token.length > 0).map(digest);
  }

  /** `Authorization` header value → whether it is `Bearer <one of the tokens>`. */
  verifyHeader(header: string | undefined): boolean {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return false;
    const given = digest(match[1]);
    let ok = false;
    for (const expected of this.digests) ok = timingSafeEqual(given, expected) || ok;
    return ok;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
