import { Inject, Injectable, Logger } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionCipher } from '../connections/connection-cipher.js';
import { ConnectionNotFoundError } from '../connections/connection.errors.js';
import { ConnectionRepository } from '../connections/connection.repository.js';
import { toConnectionView, type ConnectionView } from '../connections/connection-view.js';
import { SecretCipher } from '../crypto/secret-cipher.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent } from '../events/signing-auth.events.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import { ProviderFailure } from '../providers/provider.errors.js';
import type {
  SigningAuthStrategy,
  StrategyConnection,
  StrategyContext,
  TokenGrant,
} from '../providers/strategy.interface.js';
import {
  AuthorizationNotSupportedError,
  AuthorizationStateError,
  ProviderAuthorizationError,
} from './authorization.errors.js';
import {
  AuthorizationLinkService,
  fromStartingBrowser,
  hashState,
  stateFromBindingCookies,
  VERIFIER_FIELD,
} from './authorization-link.service.js';
import { PendingAuthorizationRepository } from './pending-authorization.repository.js';
import { issuerRefusal } from './issuer-check.js';
import { TokenRefresher } from '../refresh/token-refresher.js';
import { withDeadline } from '../common/deadline.js';

/** Pauses between attempts of the post-connect step within one callback (then the sweep takes over). */
const POST_CONNECT_DELAYS_MS = [250, 1_000];

/** The query of the provider's redirect back to the callback URL. @publicApi */
export interface AuthorizationCallbackParams {
  code?: string;
  state?: string;
  error?: string;
  error_description?: string;
  /** RFC 9207: the authorization server's issuer identifier, when it sends one. */
  iss?: string;
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

import type { BrowserBinding } from './authorization-link.service.js';
export type { BrowserBinding };

/** What the admin API adds when a connect session starts a flow. @internal */
export interface AuthorizationStartContext {
  /** The session starting the flow: its callback sends the browser back to the Connect page. */
  connectSessionId?: string;
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
    private readonly links: AuthorizationLinkService,
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
    options: AuthorizationStartOptions & AuthorizationStartContext = {},
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
    const issued = await this.links.issue('authorization', connection, strategy, {
      bindToBrowser: options.bindToBrowser,
      connectSessionId: options.connectSessionId,
    });
    const expiresAt = issued.expiresAt.toISOString();
    return issued.browserBinding
      ? { authorizationUrl: issued.authorizationUrl, expiresAt, browserBinding: issued.browserBinding }
      : { authorizationUrl: issued.authorizationUrl, expiresAt };
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
    const echoed = typeof params?.state === 'string' ? params.state : '';
    const state = this.callbackState(provider, params, options.cookies);
    // Before the state is consumed: the browser that started the flow can still finish it.
    if (!fromStartingBrowser(state, options.cookies))
      throw new AuthorizationStateError('other_browser', provider);
    if (typeof params?.error === 'string' && params.error) {
      // Burn the state (if it is ours) so the flow cannot be completed later with it; then report.
      // Without a live state of this provider's flow, the error is anyone's link (`…/callback?error=x&
      // error_description=<any text>`): answer with a fixed message that quotes nothing of the query, or
      // the failure page would show an attacker's words as the app's own.
      if (!state) throw new AuthorizationStateError('unknown', provider);
      const consumed = await this.pending.consume(hashState(state), this.options.clock());
      if (!consumed.ok) throw new AuthorizationStateError(consumed.reason, provider, consumed.tenantId);
      if (consumed.row.provider !== provider)
        throw new AuthorizationStateError('wrong_provider', provider, consumed.row.tenantId);
      // A state found through the cookie alone proves only that this browser has a flow open, not that the
      // provider sent this error (anyone's link reaches the callback with the cookie): report a code, never
      // the description, and only a registered one.
      if (!echoed) {
        const code = REGISTERED_ERRORS.has(params.error) ? params.error : 'authorization_failed';
        throw new ProviderAuthorizationError(provider, code, undefined, consumed.row.tenantId);
      }
      throw new ProviderAuthorizationError(
        provider,
        short(params.error),
        optionalShort(params.error_description),
        consumed.row.tenantId,
      );
    }
    // Formstack Sign does not document echoing `state` (providers.md §2.2): say what the provider did.
    if (!state) throw new AuthorizationStateError(params?.code ? 'missing' : 'unknown', provider);
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
    // A consent link outlives the connect flow: the connection may have changed grant meanwhile.
    if (pending.kind === 'consent' && strategy.supportsConsentFlow?.(connection) !== true) {
      throw new AuthorizationNotSupportedError(tenantId, provider);
    }
    // RFC 9207 (the state alone cannot tell which server answered when tenants share a callback path).
    const issuer = issuerRefusal(strategy, connection, params.iss);
    if (issuer) throw new AuthorizationStateError(issuer, provider, tenantId);
    const codeVerifier = this.cipher.decrypt(pending.codeVerifierCiphertext, {
      tenantId,
      provider,
      field: VERIFIER_FIELD,
    });
    if (!strategy.exchangeCode) throw new AuthorizationNotSupportedError(tenantId, provider);

    const exchangeCode = strategy.exchangeCode.bind(strategy);
    const code = { code: params.code, redirectUri: pending.redirectUri, codeVerifier };
    const grant = await this.withContext((context) => exchangeCode(connection, code, context));
    // The grant first: a new refresh token must never be lost to a userinfo outage that follows.
    // `accountPending` makes `docusignAccountBase` fail typed, and the sweep retry, until the account is known.
    let stored = await this.connections.storeConnectedGrant(
      tenantId,
      provider,
      grant,
      strategy.afterConnect ? { accountPending: true } : {},
      this.options.clock(),
    );
    if (!stored) throw new ConnectionNotFoundError(tenantId, provider);
    if (strategy.afterConnect) {
      const metadata = await this.postConnect(strategy, connection, grant);
      if (metadata) stored = (await this.connections.replaceMetadata(stored, metadata)) ?? stored;
    }
    if (!stored) throw new ConnectionNotFoundError(tenantId, provider);
    stored.nextRefreshAt = await this.refresher.scheduleConnected(stored);
    this.logger.log(`Connected ${provider} for tenant "${tenantId}"`);
    this.events.emit(SigningAuthEvent.ConnectionConnected, { tenantId, provider });
    return toConnectionView(stored);
  }

  /**
   * The connect session that started the flow of this callback state, if one did (whether or not the state
   * is still usable): the admin API sends such a callback's browser back to the Connect page.
   * @internal
   */
  async connectSessionOf(state: string | undefined): Promise<string | undefined> {
    if (typeof state !== 'string' || !state) return undefined;
    return this.pending.connectSessionOf(hashState(state));
  }

  /**
   * The state a callback completes: the one it carries, or, for a provider that may not echo it (Formstack
   * Sign: `callbackMayOmitState`), the one the browser's binding cookie names. `''` when there is none.
   * @throws AuthorizationStateError `several_flows` when several of the browser's flows could be meant
   */
  callbackState(
    provider: string,
    params: AuthorizationCallbackParams,
    cookies: Record<string, string> | undefined,
  ): string {
    const echoed = typeof params?.state === 'string' ? params.state : '';
    if (echoed || this.strategies.get(provider).callbackMayOmitState !== true) return echoed;
    const found = stateFromBindingCookies(cookies);
    if (found.several) throw new AuthorizationStateError('several_flows', provider);
    return found.state ?? '';
  }

  /**
   * The provider's post-connect step (DocuSign userinfo), tried a few times on transient failures. Returns
   * the metadata to record (with `connectedAt`), or undefined when it still failed: the grant is kept and
   * the refresher tries again (see `refreshDueAt`).
   */
  private async postConnect(
    strategy: SigningAuthStrategy,
    connection: StrategyConnection,
    grant: TokenGrant,
  ): Promise<Record<string, unknown> | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const metadata = await this.withContext((context) =>
          strategy.afterConnect!(connection, grant, context),
        );
        const at = this.options.clock().toISOString();
        return { ...metadata, connectedAt: at, accountCheckedAt: at };
      } catch (error) {
        const transient = !(error instanceof ProviderFailure) || error.kind === 'transient';
        const reason = error instanceof ProviderFailure ? error.message : ((error as Error)?.name ?? 'error');
        // The provider answered that this cannot work (e.g. the user has no account `config.accountId`):
        // the grant is stored, but the admin must hear why the connect is not complete.
        if (!transient) throw error;
        if (attempt >= POST_CONNECT_DELAYS_MS.length) {
          this.logger.warn(
            `Connected ${strategy.id} for tenant "${connection.tenantId}" but its post-connect step failed ` +
              `(${reason}); the grant is kept and the account will be fetched again`,
          );
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, POST_CONNECT_DELAYS_MS[attempt]));
      }
    }
  }

  /** One provider call with its own cancellable time limit (no timer left behind once it answered). */
  private withContext<T>(call: (context: StrategyContext) => Promise<T>): Promise<T> {
    return withDeadline(this.options.refresh.providerTimeoutMs, (signal) =>
      call({ signal, now: this.options.clock }),
    );
  }
}

/** RFC 6749 §4.1.2.1: the error codes an authorization server may send back. */
const REGISTERED_ERRORS = new Set([
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
]);

/** Callback parameters come from the browser: bound what we carry into errors and logs. */
function short(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}

function optionalShort(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  return value.length > 300 ? `${value.slice(0, 300)}…` : value;
}
