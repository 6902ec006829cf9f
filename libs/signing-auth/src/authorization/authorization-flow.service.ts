import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionCipher } from '../connections/connection-cipher.js';
import { ConnectionNotFoundError } from '../connections/connection.errors.js';
import { ConnectionRepository } from '../connections/connection.repository.js';
import { toConnectionView, type ConnectionView } from '../connections/connection-view.js';
import { SecretCipher } from '../crypto/secret-cipher.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent } from '../events/signing-auth.events.js';
import { oauthRedirectUri } from '../providers/built-in-strategies.js';
import { pkceChallengeS256, randomUrlSafe } from '../providers/shared/pkce.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import type { StrategyContext } from '../providers/strategy.interface.js';
import {
  AuthorizationNotSupportedError,
  AuthorizationStateError,
  ProviderAuthorizationError,
} from './authorization.errors.js';
import { PendingAuthorizationRepository } from './pending-authorization.repository.js';
import { TokenRefresher } from '../refresh/token-refresher.js';

/** How long a started authorization may wait for its callback. */
const PENDING_TTL_MS = 10 * 60_000;
const VERIFIER_FIELD = 'code_verifier';

/** The query of the provider's redirect back to the callback URL. @publicApi */
export interface AuthorizationCallbackParams {
  code?: string;
  state?: string;
  error?: string;
  error_description?: string;
}

/** How {@link AuthorizationFlowService.start} starts a flow. @publicApi */
export interface AuthorizationStartOptions {
  /**
   * Bind the flow to the browser that starts it: the answer carries a {@link BrowserBinding} to set as a
   * cookie, and the callback is accepted only with it, so a forwarded authorization link opened in someone
   * else's browser cannot connect their account to the tenant. For flows a browser starts (the Connect
   * page); an API-started flow, finished by whoever follows the link, leaves it off. Default: `false`.
   */
  bindToBrowser?: boolean;
}

/** The cookie that binds a flow to its browser: set it HttpOnly, SameSite=Lax, on the callback path. @publicApi */
export interface BrowserBinding {
  /** `signing_auth_flow_` + the first 16 hex digits of the state's SHA-256. */
  name: string;
  /** A random value whose SHA-256 the state carries. */
  value: string;
  /** As long as the flow lives (600). */
  maxAgeSeconds: number;
}

/** What the callback handler hands to {@link AuthorizationFlowService.complete} besides the query. @publicApi */
export interface AuthorizationCompleteOptions {
  /** The callback request's cookies (name → value), for browser-bound flows. */
  cookies?: Record<string, string>;
}

/**
 * The OAuth authorization-code connect flow: `start()` hands out the provider's authorization URL (state
 * and PKCE S256 kept server-side, single use, 10 minutes), `complete()` takes the callback, exchanges the
 * code and stores the grant. Pending authorizations live in the database, so any replica can complete a
 * flow another started.
 * @publicApi
 */
@Injectable()
export class AuthorizationFlowService {
  private readonly logger = new Logger(AuthorizationFlowService.name);

  constructor(
    private readonly connections: ConnectionRepository,
    private readonly connectionCipher: ConnectionCipher,
    private readonly cipher: SecretCipher,
    private readonly pending: PendingAuthorizationRepository,
    private readonly strategies: StrategyRegistry,
    private readonly events: SigningAuthEventBus,
    private readonly refresher: TokenRefresher,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /**
   * Starts a connect flow for the tenant's existing connection (authorization-code grants, and consent for
   * strategies that support it, e.g. DocuSign JWT).
   * @throws ConnectionNotFoundError, UnknownProviderError, AuthorizationNotSupportedError
   */
  async start(
    tenantId: string,
    provider: string,
    options: AuthorizationStartOptions = {},
  ): Promise<{ authorizationUrl: string; expiresAt: string; browserBinding?: BrowserBinding }> {
    const strategy = this.strategies.get(provider);
    const row = await this.connections.findOne(tenantId, provider);
    if (!row) throw new ConnectionNotFoundError(tenantId, provider);
    const connection = this.connectionCipher.decryptRow(row);
    const flows =
      strategy.usesAuthorizationCode(connection) || strategy.supportsConsentFlow?.(connection) === true;
    if (!flows || !strategy.buildAuthorizationUrl || !strategy.exchangeCode) {
      throw new AuthorizationNotSupportedError(tenantId, provider);
    }
    const now = this.options.clock();
    // 256 bits each: the state is a bearer secret until the callback arrives.
    let state = randomUrlSafe(32);
    let browserBinding: BrowserBinding | undefined;
    if (options.bindToBrowser) {
      // The state carries the hash of a value only the starting browser gets (as a cookie); the stored
      // state hash protects that part from being changed, so no extra column is needed.
      const value = randomUrlSafe(32);
      state = `${state}.${sha256Url(value)}`;
      browserBinding = { name: bindingCookieName(state), value, maxAgeSeconds: PENDING_TTL_MS / 1000 };
    }
    const verifier = randomUrlSafe(32);
    const redirectUri = oauthRedirectUri(this.options, provider);
    const expiresAt = new Date(now.getTime() + PENDING_TTL_MS);
    await this.pending.purge(now);
    await this.pending.insert({
      stateHash: hashState(state),
      tenantId,
      provider,
      codeVerifierCiphertext: this.cipher.encrypt(verifier, { tenantId, provider, field: VERIFIER_FIELD }),
      redirectUri,
      expiresAt,
      now,
    });
    const authorizationUrl = strategy.buildAuthorizationUrl(connection, {
      redirectUri,
      state,
      codeChallenge: pkceChallengeS256(verifier),
    });
    return browserBinding
      ? { authorizationUrl, expiresAt: expiresAt.toISOString(), browserBinding }
      : { authorizationUrl, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Completes a flow from the provider's callback query. The state is consumed first, atomically, so a
   * replayed callback fails even while the first one is still exchanging its code.
   * @throws AuthorizationStateError (nothing stored), ProviderAuthorizationError (the provider reported an
   *   error, or no code came back), ProviderFailure (the code exchange or userinfo failed),
   *   ConnectionNotFoundError (the connection was deleted meanwhile)
   */
  async complete(
    provider: string,
    params: AuthorizationCallbackParams,
    options: AuthorizationCompleteOptions = {},
  ): Promise<ConnectionView> {
    const strategy = this.strategies.get(provider);
    const state = typeof params?.state === 'string' ? params.state : '';
    // Before the state is consumed: the browser that started the flow can still finish it.
    if (!fromStartingBrowser(state, options.cookies))
      throw new AuthorizationStateError('other_browser', provider);
    if (typeof params?.error === 'string' && params.error) {
      // Burn the state (if it is ours) so the flow cannot be completed later with it; then report.
      const consumed = state ? await this.pending.consume(hashState(state), this.options.clock()) : undefined;
      const tenantId = consumed?.ok ? consumed.row.tenantId : undefined;
      throw new ProviderAuthorizationError(
        provider,
        short(params.error),
        optionalShort(params.error_description),
        tenantId,
      );
    }
    if (!state) throw new AuthorizationStateError('unknown', provider);
    const consumed = await this.pending.consume(hashState(state), this.options.clock());
    if (!consumed.ok) throw new AuthorizationStateError(consumed.reason, provider, consumed.tenantId);
    const pending = consumed.row;
    if (pending.provider !== provider) {
      // Mix-up defence: a state from one provider's flow arriving at another provider's callback.
      throw new AuthorizationStateError('wrong_provider', provider, pending.tenantId);
    }
    const { tenantId } = pending;
    if (typeof params.code !== 'string' || !params.code) {
      throw new ProviderAuthorizationError(
        provider,
        'invalid_request',
        'the callback carried no code',
        tenantId,
      );
    }
    const row = await this.connections.findOne(tenantId, provider);
    if (!row) throw new ConnectionNotFoundError(tenantId, provider);
    const connection = this.connectionCipher.decryptRow(row);
    const codeVerifier = this.cipher.decrypt(pending.codeVerifierCiphertext, {
      tenantId,
      provider,
      field: VERIFIER_FIELD,
    });
    if (!strategy.exchangeCode) throw new AuthorizationNotSupportedError(tenantId, provider);

    const context = this.context();
    const grant = await strategy.exchangeCode(
      connection,
      { code: params.code, redirectUri: pending.redirectUri, codeVerifier },
      context,
    );
    // `connectedAt` marks the post-connect step done, so the refresher does not repeat it.
    const metadata = strategy.afterConnect
      ? {
          ...(await strategy.afterConnect(connection, grant, this.context())),
          connectedAt: this.options.clock().toISOString(),
        }
      : {};
    const stored = await this.connections.storeConnectedGrant(
      tenantId,
      provider,
      grant,
      metadata,
      this.options.clock(),
    );
    if (!stored) throw new ConnectionNotFoundError(tenantId, provider);
    stored.nextRefreshAt = await this.refresher.scheduleConnected(stored);
    this.logger.log(`Connected ${provider} for tenant "${tenantId}"`);
    this.events.emit(SigningAuthEvent.ConnectionConnected, { tenantId, provider });
    return toConnectionView(stored);
  }

  private context(): StrategyContext {
    return { signal: AbortSignal.timeout(this.options.refresh.providerTimeoutMs), now: this.options.clock };
  }
}

/** Only the SHA-256 of a state is stored: a database reader cannot complete someone else's flow. */
function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}

/** The cookie name of a browser-bound state (several flows may run in one browser). @internal */
export function bindingCookieName(state: string): string {
  return `signing_auth_flow_${hashState(state).slice(0, 16)}`;
}

/** A state without a binding part needs no cookie; one with it needs the cookie whose hash it carries. */
function fromStartingBrowser(state: string, cookies: Record<string, string> | undefined): boolean {
  const dot = state.indexOf('.');
  if (dot < 0) return true;
  const expected = Buffer.from(state.slice(dot + 1));
  const cookie = cookies?.[bindingCookieName(state)];
  if (!cookie) return false;
  const actual = Buffer.from(sha256Url(cookie));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function sha256Url(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** Callback parameters come from the browser: bound what we carry into errors and logs. */
function short(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}

function optionalShort(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  return value.length > 300 ? `${value.slice(0, 300)}…` : value;
}
