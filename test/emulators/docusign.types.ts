/** Public option, registration and stats types of the DocuSign emulator (kept apart to keep the emulator short). */
import type { KeyObject } from 'node:crypto';
import type { BaseStats, EmulatorOptions } from './emulator.js';

export interface DocuSignEmulatorOptions extends EmulatorOptions {
  /** Authorization-code access tokens. Default 28 800 (8 h). */
  accessTokenTtlSeconds?: number;
  /** JWT-grant access tokens. Default 3 600. */
  jwtAccessTokenTtlSeconds?: number;
  /** Refresh-token lifetime. Default 30 days. */
  refreshTokenTtlSeconds?: number;
  /** Authorization-code lifetime. Default 120 (providers.md §1.2 says 2–5 min). */
  codeTtlSeconds?: number;
  /**
   * Which DocuSign account server this emulator stands for. Decides the JWT `aud` it accepts: DocuSign checks
   * its own host name whatever URL carried the request (providers.md §1.7). Default `demo`.
   */
  environment?: 'demo' | 'production';
  /**
   * Accepted JWT `aud` values. Default: the environment's real host, `account-d.docusign.com` (demo) or
   * `account.docusign.com` (production) — never the emulator's own address, which is only the transport.
   */
  jwtAudience?: string | string[];
  /** Longest accepted `exp - iat`. Default 3 600. */
  maxJwtLifetimeSeconds?: number;
  /** How userinfo renders `is_default`. Default `boolean`; `string` gives `"true"`/`"false"` like the SDK model. */
  isDefaultFormat?: 'boolean' | 'string';
  /** Add `scope` to token responses. Default false (the documented examples omit it). */
  includeScopeInTokenResponse?: boolean;
  clients?: DocuSignClient[];
  users?: DocuSignUserInit[];
  /**
   * REST API limits per account (providers.md §1.9): calls per hour (reset at the top of each hour of the
   * emulator clock) and per 30-second burst window. Default 3 000 / hour and 200 (demo) or 500 (production)
   * per burst. `setApiLimits(accountId, …)` changes them for one account.
   */
  apiLimits?: { hourly?: number; burst?: number };
}

export interface DocuSignClient {
  /** The integration key. */
  clientId: string;
  /** Secret key; omit for a public (PKCE-only) app, which sends `client_id` in the body instead of Basic. */
  secret?: string;
  redirectUris?: string[];
  /** RSA public key for the JWT grant: PEM (SPKI or PKCS#1; a private PEM also works) or a KeyObject. */
  publicKey?: string | KeyObject;
}

export interface DocuSignAccount {
  account_id: string;
  is_default: boolean;
  account_name: string;
  base_uri: string;
}

export interface DocuSignUserInit {
  /** User GUID (the JWT `sub`). */
  sub: string;
  email?: string;
  name?: string;
  accounts?: Partial<DocuSignAccount>[];
}

export interface DocuSignStats extends BaseStats {
  /** Token requests that reached the token endpoint, by `grant_type` as sent (`(none)` when missing). */
  tokenRequests: Record<string, number>;
  reuseDetections: number;
  userinfoRequests: number;
  restRequests: number;
  /** REST calls per account id that reached the account (counted, refused by a limit or not). */
  restRequestsByAccount: Record<string, number>;
  /** REST calls refused with 429 because the account's hourly or burst limit was spent. */
  rateLimitedRequests: number;
  /** `/oauth/auth` approvals with `scope=openid` and `admin_consent_scope` containing `impersonation`. */
  adminConsents: number;
}
