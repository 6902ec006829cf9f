/**
 * In-memory OAuth state shared by the DocuSign, Formstack Sign and generic OAuth 2.0 emulators:
 * authorization codes (single use, expiring, PKCE) and grants with their access and refresh tokens.
 * All operations are synchronous, so two concurrent refreshes of one token can never both win.
 */
import { pkceS256, randomToken, safeEqual } from './common.js';

export interface AuthCodeRecord {
  clientId: string;
  userId?: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge?: string;
  expiresAt: number;
  used: boolean;
}

export type CodeResult =
  { ok: true; record: AuthCodeRecord } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

export class AuthCodeStore {
  private readonly codes = new Map<string, AuthCodeRecord>();

  constructor(private readonly now: () => number) {}

  issue(record: Omit<AuthCodeRecord, 'used'>): string {
    const code = randomToken('code_');
    this.codes.set(code, { ...record, used: false });
    return code;
  }

  /** Marks the code used whatever the outcome of the rest of the exchange: codes are strictly single use. */
  consume(code: string | undefined): CodeResult {
    const record = code ? this.codes.get(code) : undefined;
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.used) return { ok: false, reason: 'used' };
    record.used = true;
    if (this.now() >= record.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, record };
  }

  clear(): void {
    this.codes.clear();
  }
}

/** `undefined` when the verifier fits the stored challenge; otherwise why not. */
export function pkceProblem(record: AuthCodeRecord, verifier: string | undefined): string | undefined {
  if (record.codeChallenge === undefined) {
    return verifier === undefined ? undefined : 'code_verifier sent but no code_challenge was used';
  }
  if (verifier === undefined) return 'code_verifier required';
  return safeEqual(pkceS256(verifier), record.codeChallenge) ? undefined : 'code_verifier mismatch';
}

export interface Grant {
  id: string;
  clientId: string;
  userId?: string;
  scopes: string[];
  revoked: boolean;
  /** Absolute expiry (epoch ms) of the first refresh token, for providers that keep it across refreshes. */
  refreshExpiresAt?: number;
}

export interface AccessRecord {
  grant: Grant;
  /** The grant's scopes, or a narrower set asked for on refresh. */
  scopes: string[];
  expiresAt: number;
}

interface RefreshRecord {
  grant: Grant;
  expiresAt: number;
  /** Already exchanged under rotation: presenting it again is reuse. */
  rotated: boolean;
}

export type RefreshFailure = 'unknown' | 'wrong_client' | 'revoked' | 'reused' | 'expired';
export type RefreshResult =
  { ok: true; grant: Grant; expiresAt: number } | { ok: false; reason: RefreshFailure };

export class GrantStore {
  /** Rotated refresh tokens presented again (each revoked its whole grant). */
  reuseDetections = 0;
  accessTokensIssued = 0;
  refreshTokensIssued = 0;
  private readonly access = new Map<string, AccessRecord>();
  private readonly refresh = new Map<string, RefreshRecord>();
  private nextGrantId = 1;

  constructor(
    private readonly now: () => number,
    private readonly prefix: string,
  ) {}

  createGrant(init: Omit<Grant, 'id' | 'revoked'>): Grant {
    return { ...init, id: `grant-${this.nextGrantId++}`, revoked: false };
  }

  issueAccess(grant: Grant, ttlSeconds: number, scopes = grant.scopes): { token: string; expiresAt: number } {
    const token = randomToken(`${this.prefix}at_`);
    const expiresAt = this.now() + ttlSeconds * 1000;
    this.access.set(token, { grant, scopes, expiresAt });
    this.accessTokensIssued++;
    return { token, expiresAt };
  }

  issueRefresh(grant: Grant, expiresAt: number): string {
    const token = randomToken(`${this.prefix}rt_`);
    this.refresh.set(token, { grant, expiresAt, rotated: false });
    this.refreshTokensIssued++;
    return token;
  }

  /** The record of a currently valid access token (known, not expired, grant not revoked). */
  lookupAccess(token: string | undefined): AccessRecord | undefined {
    const record = token ? this.access.get(token) : undefined;
    if (!record || record.grant.revoked || this.now() >= record.expiresAt) return undefined;
    return record;
  }

  /**
   * Validates a refresh token for `clientId`. With `rotate`, a successful call retires the token; presenting a
   * retired token again is treated as theft (RFC 9700 §4.14.2): the whole grant is revoked.
   */
  useRefresh(token: string | undefined, clientId: string, rotate: boolean): RefreshResult {
    const record = token ? this.refresh.get(token) : undefined;
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.grant.clientId !== clientId) return { ok: false, reason: 'wrong_client' };
    if (record.grant.revoked) return { ok: false, reason: 'revoked' };
    if (record.rotated) {
      record.grant.revoked = true;
      this.reuseDetections++;
      return { ok: false, reason: 'reused' };
    }
    if (this.now() >= record.expiresAt) return { ok: false, reason: 'expired' };
    if (rotate) record.rotated = true;
    return { ok: true, grant: record.grant, expiresAt: record.expiresAt };
  }

  /** Revokes the grant an access or refresh token belongs to. Returns false for an unknown token. */
  revokeByToken(token: string): boolean {
    const grant = this.access.get(token)?.grant ?? this.refresh.get(token)?.grant;
    if (grant) grant.revoked = true;
    return grant !== undefined;
  }

  clear(): void {
    this.access.clear();
    this.refresh.clear();
    this.reuseDetections = this.accessTokensIssued = this.refreshTokensIssued = 0;
  }
}
