import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { SecretCipher } from '../crypto/secret-cipher.js';
import { oauthRedirectUri } from '../providers/built-in-strategies.js';
import { pkceChallengeS256, randomUrlSafe } from '../providers/shared/pkce.js';
import type { SigningAuthStrategy, StrategyConnection } from '../providers/strategy.interface.js';
import {
  PendingAuthorizationRepository,
  type PendingAuthorizationKind,
} from './pending-authorization.repository.js';

/** The cookie that binds a flow to its browser: set it HttpOnly, SameSite=Lax, on the callback path. @publicApi */
export interface BrowserBinding {
  /** `signing_auth_flow_` + the first 16 hex digits of the state's SHA-256. */
  name: string;
  /**
   * A random value the state is made from (`<hash of it>.<SHA-256 of it>`, two domain-separated hashes): only
   * this browser gets it, and it lets a callback that comes back without `state` (Formstack Sign, which does
   * not document echoing it) find its flow again.
   */
  value: string;
  /** As long as the flow lives (600). */
  maxAgeSeconds: number;
}

/** How long a connect flow started by an admin may wait for its callback. */
const AUTHORIZATION_TTL_MS = 10 * 60_000;
/** The field name binding a PKCE verifier's ciphertext to its (tenant, provider). @internal */
export const VERIFIER_FIELD = 'code_verifier';

/**
 * Issues provider links that come back to our callback: a fresh state (256 bits, stored only as its
 * SHA-256) and PKCE verifier (stored encrypted), single use. The connect flow's links live 10 minutes;
 * consent links handed out with a `consent_required` failure live `consentLinkTtlSeconds` (an admin opens
 * them when they get to it; the state is then the only thing tying DocuSign's redirect to the tenant).
 * @internal
 */
@Injectable()
export class AuthorizationLinkService {
  constructor(
    private readonly pending: PendingAuthorizationRepository,
    private readonly cipher: SecretCipher,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /** Stores a pending authorization of `kind` and returns the provider URL carrying its state. */
  async issue(
    kind: PendingAuthorizationKind,
    connection: StrategyConnection,
    strategy: SigningAuthStrategy,
    options: { bindToBrowser?: boolean; connectSessionId?: string } = {},
  ): Promise<{ authorizationUrl: string; expiresAt: Date; browserBinding?: BrowserBinding }> {
    if (!strategy.buildAuthorizationUrl) {
      throw new Error(`the ${strategy.id} strategy cannot build an authorization URL`);
    }
    const { tenantId, provider } = connection;
    const now = this.options.clock();
    const ttlMs = kind === 'consent' ? this.options.consentLinkTtlSeconds * 1000 : AUTHORIZATION_TTL_MS;
    // 256 bits each: the state is a bearer secret until the callback arrives.
    let state = randomUrlSafe(32);
    let browserBinding: BrowserBinding | undefined;
    if (options.bindToBrowser) {
      // The state carries the hash of a value only the starting browser gets (as a cookie); the stored
      // state hash protects that part from being changed, so no extra column is needed.
      // Both parts of the state derive from that value, so its cookie alone names the state (a provider that
      // does not echo `state`); neither part gives the value away (256 random bits behind SHA-256).
      const value = randomUrlSafe(32);
      state = boundState(value);
      browserBinding = { name: bindingCookieName(state), value, maxAgeSeconds: ttlMs / 1000 };
    }
    const verifier = randomUrlSafe(32);
    const redirectUri = oauthRedirectUri(this.options, provider);
    const expiresAt = new Date(now.getTime() + ttlMs);
    await this.pending.purge(now);
    await this.pending.insert({
      stateHash: hashState(state),
      tenantId,
      provider,
      kind,
      codeVerifierCiphertext: this.cipher.encrypt(verifier, { tenantId, provider, field: VERIFIER_FIELD }),
      redirectUri,
      expiresAt,
      now,
      connectSessionId: options.connectSessionId ?? null,
    });
    const authorizationUrl = strategy.buildAuthorizationUrl(connection, {
      redirectUri,
      state,
      codeChallenge: pkceChallengeS256(verifier),
    });
    return browserBinding ? { authorizationUrl, expiresAt, browserBinding } : { authorizationUrl, expiresAt };
  }
}

/** Only the SHA-256 of a state is stored: a database reader cannot complete someone else's flow. @internal */
export function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}

/** The cookie name of a browser-bound state (several flows may run in one browser). @internal */
export function bindingCookieName(state: string): string {
  return `signing_auth_flow_${hashState(state).slice(0, 16)}`;
}

/** A state without a binding part needs no cookie; one with it needs the cookie whose hash it carries. @internal */
export function fromStartingBrowser(state: string, cookies: Record<string, string> | undefined): boolean {
  const dot = state.indexOf('.');
  if (dot < 0) return true;
  const expected = Buffer.from(state.slice(dot + 1));
  const cookie = cookies?.[bindingCookieName(state)];
  if (!cookie) return false;
  const actual = Buffer.from(sha256Url(cookie));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The state of a browser-bound flow, from its cookie's value. */
function boundState(value: string): string {
  return `${sha256Url(`signing-auth flow state:${value}`)}.${sha256Url(value)}`;
}

/**
 * The state a browser's binding cookies name, for a callback that came back without one: the state is
 * rebuilt from a cookie's value and kept only if the cookie's name is that state's (flows started before
 * states were derived from the value do not match, and are refused as before).
 * Only the callback path's cookies reach here (they are set with `Path=<callback path>`), i.e. flows of
 * this provider. Several live ones cannot be told apart: `several`.
 * @internal
 */
export function stateFromBindingCookies(cookies: Record<string, string> | undefined): {
  state?: string;
  several: boolean;
} {
  const states: string[] = [];
  for (const [name, cookie] of Object.entries(cookies ?? {})) {
    if (!name.startsWith('signing_auth_flow_') || !cookie) continue;
    const state = boundState(cookie);
    if (bindingCookieName(state) === name) states.push(state);
  }
  return states.length === 1 ? { state: states[0], several: false } : { several: states.length > 1 };
}

function sha256Url(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}
