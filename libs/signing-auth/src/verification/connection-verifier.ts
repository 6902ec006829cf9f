import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuthorizationLinkService } from '../authorization/authorization-link.service.js';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { ProviderFailure } from '../providers/provider.errors.js';
import type { SigningAuthStrategy, StrategyConnection, TokenGrant } from '../providers/strategy.interface.js';
import { withDeadline } from '../common/deadline.js';

/** What checking a connection's credentials at save time found. @internal */
export type VerificationOutcome =
  /** The provider accepted them: here is the first grant (and, when the strategy has one, its metadata). */
  | { kind: 'verified'; grant: TokenGrant; metadata: Record<string, unknown> }
  /** The provider wants a consent first (DocuSign JWT): store as needs_reauth with this link. */
  | { kind: 'consent_required'; reason: string; consentUrl?: string }
  /** The provider could not be asked (outage, rate limit): store as error, retry at `retryAfterMs`. */
  | { kind: 'unreachable'; reason: string; retryAfterMs?: number };

/**
 * Checks, when a connection is saved, the credentials that need no user: client credentials (Signicat,
 * Formstack Sign, OAuth 2.0), DocSpring's API token, DocuSign's JWT grant. A refusal throws the
 * provider's {@link ProviderFailure} (the caller answers 422 and stores nothing); everything else is an
 * outcome to store.
 * @internal
 */
@Injectable()
export class ConnectionVerifier {
  private readonly logger = new Logger(ConnectionVerifier.name);

  constructor(
    private readonly links: AuthorizationLinkService,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /**
   * Whether saving this connection checks it: the option is on, no user is needed, and the strategy can
   * check (every built-in one; a custom strategy opts in by implementing `verify`).
   */
  applies(strategy: SigningAuthStrategy, connection: StrategyConnection): boolean {
    return (
      this.options.verifyOnSave &&
      typeof strategy.verify === 'function' &&
      !strategy.usesAuthorizationCode(connection)
    );
  }

  async verify(strategy: SigningAuthStrategy, connection: StrategyConnection): Promise<VerificationOutcome> {
    const timeoutMs = this.options.refresh.providerTimeoutMs;
    const now = this.options.clock;
    let grant: TokenGrant;
    try {
      grant = await withDeadline(timeoutMs, (signal) => strategy.verify!(connection, { signal, now }));
    } catch (error) {
      const failure = classifyStrategyError(strategy, connection, error);
      if (failure.kind === 'transient') {
        return { kind: 'unreachable', reason: describe(failure), retryAfterMs: failure.details.retryAfterMs };
      }
      if (failure.details.code === 'consent_required' && strategy.supportsConsentFlow?.(connection)) {
        const consentUrl = (await this.links.issue('consent', connection, strategy)).authorizationUrl;
        return { kind: 'consent_required', reason: describe(failure), consentUrl };
      }
      throw failure;
    }
    const metadata = await withDeadline(timeoutMs, (signal) =>
      this.metadata(strategy, connection, grant, { signal, now }),
    );
    return { kind: 'verified', grant, metadata };
  }

  /** The post-connect step, once; a failure leaves `accountPending` for the refresher to fill in. */
  private async metadata(
    strategy: SigningAuthStrategy,
    connection: StrategyConnection,
    grant: TokenGrant,
    context: { signal: AbortSignal; now: () => Date },
  ): Promise<Record<string, unknown>> {
    if (!strategy.afterConnect) return {};
    try {
      const at = this.options.clock().toISOString();
      return {
        ...(await strategy.afterConnect(connection, grant, context)),
        connectedAt: at,
        accountCheckedAt: at,
      };
    } catch (error) {
      this.logger.warn(
        `Verified the ${strategy.id} credentials of tenant "${connection.tenantId}" but the post-connect step failed: ` +
          `${error instanceof ProviderFailure ? error.message : ((error as Error)?.name ?? 'error')}`,
      );
      return { accountPending: true };
    }
  }
}

/**
 * The strategy's reading of an error it threw (its `classifyError`), or a transient failure when it has none
 * or its classifier throws: a broken classifier must not turn a failure into a crash. @internal
 */
export function classifyStrategyError(
  strategy: SigningAuthStrategy,
  connection: StrategyConnection,
  error: unknown,
): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  try {
    if (strategy.classifyError) return strategy.classifyError(error, connection);
  } catch {
    // fall through to the transient failure below
  }
  return new ProviderFailure(
    'transient',
    `unexpected ${(error as Error)?.name ?? 'error'} from the strategy`,
  );
}

/** The provider's code and the strategy's secret-free description, bounded. @internal */
export function describe(failure: ProviderFailure): string {
  const code = failure.details.code;
  const text = code && !failure.message.includes(code) ? `${code}: ${failure.message}` : failure.message;
  return text.slice(0, 300);
}
