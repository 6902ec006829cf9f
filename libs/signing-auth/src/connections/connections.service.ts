import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { NetworkPolicy } from '../network/network-policy.js';
import { RateLimitBudgets } from '../rate-limits/rate-limit-budgets.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import { TokenChangeNotifier } from '../refresh/token-change.notifier.js';
import { ProviderFailure } from '../providers/provider.errors.js';
import { backoffMs } from '../refresh/refresh-policy.js';
import { TokenRefresher } from '../refresh/token-refresher.js';
import {
  ConnectionVerifier,
  describe,
  type VerificationOutcome,
} from '../verification/connection-verifier.js';
import { UNVERIFIED_MARKER } from '../verification/unverified-connection.js';
import { ConnectionTester, type ConnectionTestResult } from '../verification/connection-tester.js';
import {
  ConnectionNotFoundError,
  ConnectionValidationError,
  ConnectionVerificationError,
} from './connection.errors.js';
import type { ConnectionEntity } from './connection.entity.js';
import { ConnectionRepository } from './connection.repository.js';
import { ConnectionCipher } from './connection-cipher.js';
import { toConnectionView, type ConnectionView } from './connection-view.js';

/** Tenant ids appear in URLs and logs: keep them to a safe, readable alphabet. */
const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$/;

/** The admin PUT body: non-secret `config` and secret `secrets`, as the provider's strategy defines them. @publicApi */
export interface ConnectionInput {
  config: unknown;
  secrets: unknown;
}

/**
 * The credential store seen from the app: create or replace, read, list and delete connections.
 * Everything it returns is a {@link ConnectionView}, which never holds a secret.
 * @publicApi
 */
@Injectable()
export class ConnectionsService {
  private readonly network: NetworkPolicy;

  constructor(
    private readonly connections: ConnectionRepository,
    private readonly strategies: StrategyRegistry,
    private readonly tokenChanges: TokenChangeNotifier,
    private readonly verifier: ConnectionVerifier,
    private readonly refresher: TokenRefresher,
    private readonly tester: ConnectionTester,
    private readonly cipher: ConnectionCipher,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    private readonly budgets: RateLimitBudgets,
  ) {
    this.network = new NetworkPolicy(options);
  }

  /**
   * Creates the tenant's connection to `provider`, or replaces its settings (dropping any grant it held).
   * Authorization-code connections start `pending` until a user consents. The others are checked with the
   * provider first (`verifyOnSave`, default on): accepted → `active` with the first token; refused →
   * {@link ConnectionVerificationError} and nothing changes; provider unreachable → `error` marked
   * `metadata.unverified`, and every retry re-runs the check (never a local refresh) until the provider
   * answers;
   * DocuSign JWT without consent → `needs_reauth` with `metadata.consentUrl`. With `verifyOnSave: false`
   * they start `active` and get their first token on first use.
   * @throws ConnectionValidationError naming the field, UnknownProviderError, ConnectionVerificationError
   */
  async upsert(tenantId: string, provider: string, input: ConnectionInput): Promise<ConnectionView> {
    assertTenantId(tenantId);
    const strategy = this.strategies.get(provider);
    const validated = strategy.validate({ config: input?.config, secrets: input?.secrets });
    await this.assertReachableUrls(validated.config);
    const probe = {
      tenantId,
      provider,
      config: validated.config,
      secrets: validated.secrets,
      metadata: {},
      refreshToken: null,
    };
    const usesCode = strategy.usesAuthorizationCode(probe);
    if (!this.verifier.applies(strategy, probe)) {
      const row = await this.connections.upsert(
        tenantId,
        provider,
        validated,
        usesCode ? 'pending' : 'active',
        this.options.clock(),
      );
      await this.tokenChanges.announce(tenantId, provider, row.version);
      return toConnectionView(row);
    }
    // Checked before anything is written: refused credentials must not replace working ones.
    let outcome: VerificationOutcome;
    try {
      outcome = await this.verifier.verify(strategy, probe);
    } catch (error) {
      if (error instanceof ProviderFailure) {
        throw new ConnectionVerificationError(tenantId, provider, describe(error), error.details.code);
      }
      throw error;
    }
    const now = this.options.clock();
    await this.connections.upsert(tenantId, provider, validated, 'active', now);
    let row: ConnectionEntity | null;
    if (outcome.kind === 'verified') {
      row = await this.connections.storeConnectedGrant(
        tenantId,
        provider,
        outcome.grant,
        outcome.metadata,
        now,
      );
      if (row) row.nextRefreshAt = await this.refresher.scheduleConnected(row);
    } else {
      const unreachable = outcome.kind === 'unreachable';
      const retryAt =
        outcome.kind === 'unreachable'
          ? new Date(now.getTime() + backoffMs(this.options, 1, outcome.retryAfterMs))
          : null;
      const consentUrl = outcome.kind === 'consent_required' ? outcome.consentUrl : undefined;
      row = await this.connections.recordVerification(
        tenantId,
        provider,
        {
          status: unreachable ? 'error' : 'needs_reauth',
          lastError: outcome.reason,
          // Unreachable: never accepted, so the retry must verify again (unverified-connection.ts).
          metadata: consentUrl
            ? { consentUrl: this.cipher.sealConsentUrl(tenantId, provider, consentUrl) }
            : unreachable
              ? { [UNVERIFIED_MARKER]: true }
              : {},
          nextRefreshAt: retryAt,
        },
        now,
      );
      if (row) await this.tokenChanges.announce(tenantId, provider, row.version);
    }
    if (!row) throw new ConnectionNotFoundError(tenantId, provider);
    return this.view(row);
  }

  /** The view, with the row's sealed consent link opened. */
  private view(row: ConnectionEntity): ConnectionView {
    return toConnectionView(row, this.cipher.consentUrlOf(row));
  }

  /**
   * Every URL in a connection's config (whatever the provider: generic OAuth 2.0 endpoints, API base URLs,
   * a custom strategy's) must lead to an address the network policy allows: the literal address, or every
   * address its name resolves to now. The provider HTTP client checks again on the address it connects to.
   */
  private async assertReachableUrls(config: Record<string, unknown>): Promise<void> {
    for (const [field, value] of configUrls(config)) {
      const refused = await this.network.checkUrl(value);
      if (refused) throw new ConnectionValidationError(`config.${field}`, refused.reason);
    }
  }

  /** @throws ConnectionNotFoundError */
  async get(tenantId: string, provider: string): Promise<ConnectionView> {
    const view = await this.find(tenantId, provider);
    if (!view) throw new ConnectionNotFoundError(tenantId, provider);
    return view;
  }

  async find(tenantId: string, provider: string): Promise<ConnectionView | null> {
    const row = await this.connections.findOne(tenantId, provider);
    return row ? this.budgets.decorate(this.view(row)) : null;
  }

  async list(tenantId: string): Promise<ConnectionView[]> {
    return (await this.connections.listByTenant(tenantId)).map((row) =>
      this.budgets.decorate(this.view(row)),
    );
  }

  /**
   * Makes one cheap authenticated call to the provider with the stored credentials and says what happened
   * (`ok`, a secret-free `message`, `checkedAt`, the view afterwards): DocuSign userinfo, DocSpring's
   * authentication check, a client-credentials token request (Signicat, Formstack Sign, OAuth 2.0; the
   * token is discarded), or a refresh for refresh-token grants without a cheaper call. The stored grant
   * changes only when the provider says it is gone (then `needs_reauth`). A pending or disabled connection
   * answers `ok: false` and nothing is sent.
   * @throws ConnectionNotFoundError, UnknownProviderError
   */
  testConnection(tenantId: string, provider: string): Promise<ConnectionTestResult> {
    assertTenantId(tenantId);
    return this.tester.test(tenantId, provider);
  }

  /** Deletes the connection and every secret it held. @throws ConnectionNotFoundError */
  async delete(tenantId: string, provider: string): Promise<void> {
    if (!(await this.connections.delete(tenantId, provider)))
      throw new ConnectionNotFoundError(tenantId, provider);
    await this.tokenChanges.announce(tenantId, provider, null);
  }
}

/** `[field, url]` for every http(s) URL among a config's values (strings, and lists of strings). */
function configUrls(config: Record<string, unknown>): [string, string][] {
  const urls: [string, string][] = [];
  const isUrl = (v: unknown): v is string => typeof v === 'string' && /^https?:\/\//i.test(v.trim());
  for (const [field, value] of Object.entries(config ?? {})) {
    if (isUrl(value)) urls.push([field, value]);
    else if (Array.isArray(value)) for (const item of value) if (isUrl(item)) urls.push([field, item]);
  }
  return urls;
}

export function assertTenantId(tenantId: unknown): asserts tenantId is string {
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
    throw new ConnectionValidationError(
      'tenantId',
      'must be 1-200 characters of letters, digits, ".", "_", ":", "@" or "-", starting with a letter or digit',
    );
  }
}
