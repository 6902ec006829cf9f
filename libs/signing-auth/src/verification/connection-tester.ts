import { Inject, Injectable } from '@nestjs/common';
import { deadline } from '../common/deadline.js';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ConnectionCipher, type DecryptedConnection } from '../connections/connection-cipher.js';
import type { ConnectionEntity } from '../connections/connection.entity.js';
import { ConnectionNotFoundError } from '../connections/connection.errors.js';
import { toConnectionView, type ConnectionView } from '../connections/connection-view.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent } from '../events/signing-auth.events.js';
import { ProviderFailure } from '../providers/provider.errors.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import type { SigningAuthStrategy, StrategyContext } from '../providers/strategy.interface.js';
import { RefreshLeaseRepository } from '../refresh/refresh-lease.repository.js';
import { TokenChangeNotifier } from '../refresh/token-change.notifier.js';
import { openConnection } from '../refresh/unprocessable-connection.js';
import { TokenService } from '../tokens/token.service.js';
import { classifyStrategyError, describe } from './connection-verifier.js';
import { awaitsVerification } from './unverified-connection.js';

/**
 * What `ConnectionsService.testConnection()` (the admin API's `POST .../test`) answers: whether the
 * provider accepted the stored credentials, in a sentence, when, and the connection as it is afterwards.
 * @publicApi
 */
export interface ConnectionTestResult {
  ok: boolean;
  /** What was sent and what the provider said (or why nothing was sent). Never a secret. */
  message: string;
  /** When the check ran (the module clock), ISO 8601. */
  checkedAt: string;
  connection: ConnectionView;
}

/**
 * Errors that say why the provider did not accept the connection (their messages name tenant, provider
 * and reason, never a secret): answered as `ok: false`. Anything else (the database, a deleted connection)
 * is thrown on and answered as such.
 */
const NOT_ACCEPTED = new Set([
  'ProviderFailure',
  'SigningAuthReauthRequiredError',
  'SigningAuthRefreshError',
  'SigningAuthConnectionDisabledError',
  'SigningAuthConnectionPendingError',
  'SigningAuthUnprocessableConnectionError',
  'SecretDecryptionError',
]);

/**
 * One cheap authenticated call to the provider, to see that a connection's credentials work now:
 * - the strategy's `checkAccess` where it has one (DocuSign userinfo, DocSpring's authentication check),
 *   with the token `TokenService` serves (a 401 gets one forced refresh and one more try, as a signed call);
 * - otherwise, for grants without a refresh token (client credentials: Signicat, Formstack Sign, OAuth 2.0),
 *   the strategy's `verify`: a token request whose token is thrown away;
 * - otherwise (a refresh-token grant without a cheap call) a refresh under the lease, stored as usual:
 *   a refresh answer must never be thrown away (the provider may have rotated the refresh token).
 * A connection in `error` or `needs_reauth`, or never accepted yet, is refreshed first as "Refresh now"
 * does (its stored token is not known to work). The stored grant is changed only when the provider says it
 * is gone: then the connection turns `needs_reauth`, as on a refresh. Transient failures change nothing.
 * @internal
 */
@Injectable()
export class ConnectionTester {
  constructor(
    private readonly tokens: TokenService,
    private readonly leases: RefreshLeaseRepository,
    private readonly strategies: StrategyRegistry,
    private readonly cipher: ConnectionCipher,
    private readonly events: SigningAuthEventBus,
    private readonly notifier: TokenChangeNotifier,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  async test(tenantId: string, provider: string): Promise<ConnectionTestResult> {
    const strategy = this.strategies.get(provider);
    const before = await this.leases.findOne(tenantId, provider);
    if (!before) throw new ConnectionNotFoundError(tenantId, provider);
    const checkedAt = this.options.clock().toISOString();
    const waiting = notTestable(before);
    if (waiting) return { ok: false, message: waiting, checkedAt, connection: toConnectionView(before) };
    let outcome: { ok: boolean; message: string };
    try {
      outcome = { ok: true, message: await this.check(before, strategy) };
    } catch (error) {
      if (!(error instanceof Error) || !NOT_ACCEPTED.has(error.name)) throw error;
      outcome = { ok: false, message: error instanceof ProviderFailure ? describe(error) : error.message };
    }
    const after = (await this.leases.findOne(tenantId, provider)) ?? before;
    return { ...outcome, checkedAt, connection: toConnectionView(after) };
  }

  private async check(row: ConnectionEntity, strategy: SigningAuthStrategy): Promise<string> {
    const { tenantId, provider } = row;
    let refreshed = '';
    if (row.status !== 'active' || awaitsVerification(row.metadata, strategy)) {
      const verifying = awaitsVerification(row.metadata, strategy);
      await this.tokens.refreshNow(tenantId, provider); // throws what the provider said
      // Never accepted before: that refresh was the strategy's own check, one call is enough.
      if (verifying) return `${provider} accepted the stored credentials (checked now for the first time)`;
      refreshed = `${provider} accepted the stored credentials (refreshed: the connection was ${row.status})`;
      if (!strategy.checkAccess) return refreshed;
    }
    const said = strategy.checkAccess
      ? await this.checkAccess(row, strategy)
      : await this.tokenRequest(tenantId, provider, strategy);
    return refreshed ? `${refreshed}; ${said}` : said;
  }

  /** The strategy's cheap call with the served token; a 401 gets one forced refresh and one more try. */
  private async checkAccess(row: ConnectionEntity, strategy: SigningAuthStrategy): Promise<string> {
    const { tenantId, provider } = row;
    const token = await this.tokens.getAccessToken(tenantId, provider);
    try {
      return await this.providerCall(tenantId, provider, (current, context) =>
        strategy.checkAccess!(current, token, context),
      );
    } catch (error) {
      if (!(error instanceof ProviderFailure) || error.details.httpStatus !== 401) throw error;
      if (error.kind === 'needs_reauth') throw error; // recorded by providerCall
      const fresh = await this.tokens.forceRefresh(tenantId, provider, {
        rejectedAccessToken: token.accessToken,
      });
      return this.providerCall(tenantId, provider, (current, context) =>
        strategy.checkAccess!(current, fresh, context),
      );
    }
  }

  /** Client credentials: a token request, its token thrown away; a refresh-token grant: a real refresh. */
  private async tokenRequest(
    tenantId: string,
    provider: string,
    strategy: SigningAuthStrategy,
  ): Promise<string> {
    const row = await this.leases.findOne(tenantId, provider);
    if (!row) throw new ConnectionNotFoundError(tenantId, provider);
    if (row.refreshTokenCiphertext !== null || typeof strategy.verify !== 'function') {
      await this.tokens.refreshNow(tenantId, provider);
      return `${provider} accepted the stored refresh token: a refresh succeeded and was stored (${provider} has no cheaper authenticated call)`;
    }
    await this.providerCall(tenantId, provider, (current, context) => strategy.verify!(current, context));
    return `${provider} issued a token for the stored client credentials (a token request; the token was discarded, the stored one is unchanged)`;
  }

  /**
   * Runs one provider call on the connection as stored now. The provider saying the credentials or the
   * grant are gone turns the connection `needs_reauth` (fenced on the version read, so a newer grant another
   * replica stored meanwhile is never marked); a transient failure changes nothing.
   */
  private async providerCall<T>(
    tenantId: string,
    provider: string,
    call: (connection: DecryptedConnection, context: StrategyContext) => Promise<T>,
  ): Promise<T> {
    const row = await this.leases.findOne(tenantId, provider);
    if (!row) throw new ConnectionNotFoundError(tenantId, provider);
    const connection = openConnection(this.cipher, row);
    const timeout = deadline(this.options.refresh.providerTimeoutMs);
    try {
      return await call(connection, { signal: timeout.signal, now: this.options.clock });
    } catch (error) {
      const failure = classifyStrategyError(this.strategies.get(provider), connection, error);
      if (failure.kind === 'needs_reauth') await this.markNeedsReauth(row, describe(failure));
      throw failure;
    } finally {
      timeout.clear();
    }
  }

  private async markNeedsReauth(row: ConnectionEntity, reason: string): Promise<void> {
    const now = this.options.clock();
    const failure = {
      status: 'needs_reauth' as const,
      failureCount: row.failureCount + 1,
      lastError: reason,
      nextRefreshAt: null,
      bumpVersion: true,
    };
    const version = await this.leases.storeFailure(row, null, failure, now);
    if (version === null) return; // someone refreshed meanwhile: their answer is newer than ours
    const { tenantId, provider } = row;
    // As the refresh failure handler does: this process's cache must stop serving the token now declared dead.
    this.notifier.publishLocal(tenantId, provider, version);
    this.events.emit(SigningAuthEvent.ConnectionNeedsReauth, { tenantId, provider, reason });
  }
}

/** Why nothing is sent for a connection in this state, or null when it can be tested. */
function notTestable(row: ConnectionEntity): string | null {
  const who = `the ${row.provider} connection of tenant "${row.tenantId}"`;
  if (row.status === 'pending') {
    return `Nothing was sent: ${who} waits for a user's consent; start it with POST .../authorize (the Connect page's Connect button)`;
  }
  if (row.status === 'disabled') return `Nothing was sent: ${who} is disabled`;
  return null;
}
