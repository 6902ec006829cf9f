import type { Logger } from '@nestjs/common';
import { isAxiosError, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import type { SigningAuthStrategy } from '../providers/strategy.interface.js';
import { SigningAuthHostError, SigningAuthScopeError } from './http.errors.js';
import { forbiddenAddressIn } from './signed-call-network.js';
import { describeRequest, redactAxiosError, redactResponse } from './http-redaction.js';
import type { HttpAccessToken, HttpTokenSource } from './http-token-source.js';
import type { RateLimitBudgets } from '../rate-limits/rate-limit-budgets.js';
import { readRateLimit } from '../rate-limits/rate-limit-headers.js';

/** One signed request: whose credentials, which token went out. @internal */
export interface SignedRequest {
  tenantId: string;
  provider: string;
  strategy: SigningAuthStrategy;
  token: HttpAccessToken;
  /** The `Authorization` value on the wire now (changes once, on the retry after a 401). */
  authorization: string;
  /** `host[:port]` of the target, for a refusal at connect time. */
  host: string;
  /** The provider account whose rate-limit budget the call spends (DocuSign's `accountId`), or ''. */
  account: string;
}

/** What the adapter needs from the module. @internal */
export interface SignedAdapterDeps {
  tokens: HttpTokenSource;
  /** Scopes the connection holds, for the 403 error; never throws. */
  grantedScopes(tenantId: string, provider: string): Promise<string[]>;
  /** Remembers the rate-limit budget an answer reports. */
  budgets: RateLimitBudgets;
  clock: () => Date;
  logger: Logger;
}

type Outcome = { status: number | undefined; response?: AxiosResponse; error?: unknown };

/**
 * Sends one signed request through its transport. Living below axios' interceptors (rather than in a response
 * interceptor) means the retry re-sends exactly the bytes already prepared, runs no interceptor twice,
 * cannot loop, and costs requests without `signingAuth` nothing at all.
 *
 * - 401: one `forceRefresh(…, { rejectedAccessToken })`, one retry with the new token. A second 401, or a
 *   refresh that yields the same token (static credentials), goes back to the caller as axios returns it.
 * - 403: `SigningAuthScopeError`.
 * - Whatever reaches the caller has the credential redacted.
 * @internal
 */
export async function sendSigned(
  inner: AxiosAdapter,
  config: InternalAxiosRequestConfig,
  signed: SignedRequest,
  deps: SignedAdapterDeps,
): Promise<AxiosResponse> {
  // The common case (2xx) is one await and the redaction; everything else goes through `recover`.
  let response: AxiosResponse;
  try {
    response = await inner(config);
  } catch (error) {
    const failed = isAxiosError(error) ? error.response : undefined;
    learnBudget(failed, signed, deps);
    return recover({ status: failed?.status, error }, inner, config, signed, deps);
  }
  learnBudget(response, signed, deps);
  return response.status === 401 || response.status === 403
    ? recover({ status: response.status, response }, inner, config, signed, deps)
    : redactResponse(response, signed.authorization);
}

/** Every answer's rate-limit headers update the (tenant, provider, account) budget; no headers, no work. */
function learnBudget(
  response: AxiosResponse | undefined,
  signed: SignedRequest,
  deps: SignedAdapterDeps,
): void {
  if (!response?.headers) return;
  const observed = readRateLimit(response.headers as Record<string, unknown>, response.status, () =>
    deps.clock().getTime(),
  );
  if (observed)
    deps.budgets.observe(signed.tenantId, signed.provider, signed.account, observed, response.status);
}

async function recover(
  first: Outcome,
  inner: AxiosAdapter,
  config: InternalAxiosRequestConfig,
  signed: SignedRequest,
  deps: SignedAdapterDeps,
): Promise<AxiosResponse> {
  let outcome = first;
  if (outcome.status === 401 && canResend(config)) {
    let fresh: HttpAccessToken;
    try {
      fresh = await deps.tokens.forceRefresh(signed.tenantId, signed.provider, {
        rejectedAccessToken: signed.token.accessToken,
      });
    } catch (refreshError) {
      discard(outcome, config, signed);
      throw refreshError; // says why better than the 401 would: needs_reauth, outage, ...
    }
    if (fresh.accessToken !== signed.token.accessToken) {
      deps.logger.debug(
        `${signed.provider} answered 401 for tenant "${signed.tenantId}" on ${describeRequest(config)}; ` +
          'retrying once with a refreshed token',
      );
      signed.authorization = signed.strategy.authorizationHeader(fresh);
      config.headers.set('Authorization', signed.authorization);
      // The retry is a call too: it waits for (or is refused by) a budget the first answer reported spent.
      const admitted = deps.budgets.admit(signed.tenantId, signed.provider, signed.account);
      if (admitted) await admitted;
      outcome = await attempt(inner, config, signed, deps);
    }
  }
  if (outcome.status === 403) throw await scopeError(outcome, config, signed, deps);
  return settle(outcome, config, signed);
}

async function attempt(
  inner: AxiosAdapter,
  config: InternalAxiosRequestConfig,
  signed: SignedRequest,
  deps: SignedAdapterDeps,
): Promise<Outcome> {
  try {
    const response = await inner(config);
    learnBudget(response, signed, deps);
    return { status: response.status, response };
  } catch (error) {
    const response = isAxiosError(error) ? error.response : undefined;
    learnBudget(response, signed, deps);
    return { status: response?.status, error };
  }
}

function settle(outcome: Outcome, config: InternalAxiosRequestConfig, signed: SignedRequest): AxiosResponse {
  if (outcome.response) return redactResponse(outcome.response, signed.authorization);
  const forbidden = outcome.error === undefined ? undefined : forbiddenAddressIn(outcome.error);
  if (forbidden) {
    // The checking lookup refused the address a tenant's host name resolved to at connect time.
    if (isAxiosError(outcome.error)) redactAxiosError(outcome.error, signed.authorization);
    throw new SigningAuthHostError(signed.tenantId, signed.provider, signed.host, forbidden.reason);
  }
  if (isAxiosError(outcome.error)) throw redactAxiosError(outcome.error, signed.authorization);
  // Not an axios error (a bug in a custom adapter): still never let the header travel with it.
  redactResponse({ config } as AxiosResponse, signed.authorization);
  throw outcome.error;
}

/** Redacts an outcome that will not reach the caller, in case something else kept a reference to it. */
function discard(outcome: Outcome, config: InternalAxiosRequestConfig, signed: SignedRequest): void {
  try {
    settle(outcome, config, signed);
  } catch {
    // settle throws the (now redacted) error of a failed outcome; it is dropped on purpose.
  }
}

/** A streamed body was consumed by the first attempt and cannot be sent again. */
function canResend(config: InternalAxiosRequestConfig): boolean {
  const data = config.data as { pipe?: unknown } | null | undefined;
  return !(data && typeof data === 'object' && typeof data.pipe === 'function');
}

async function scopeError(
  outcome: Outcome,
  config: InternalAxiosRequestConfig,
  signed: SignedRequest,
  deps: SignedAdapterDeps,
): Promise<SigningAuthScopeError> {
  const response = outcome.response ?? (isAxiosError(outcome.error) ? outcome.error.response : undefined);
  let cause: unknown;
  try {
    settle(outcome, config, signed);
  } catch (error) {
    cause = error; // the provider's 403 as axios reported it, redacted
  }
  const headers = { ...(response?.headers ?? {}) } as Record<string, unknown>;
  const granted = await deps.grantedScopes(signed.tenantId, signed.provider);
  const error = new SigningAuthScopeError(
    signed.tenantId,
    signed.provider,
    granted,
    requiredScopes(headers['www-authenticate']),
    describeRequest(config),
    { status: 403, data: response?.data, headers },
    { cause },
  );
  deps.logger.debug(error.message);
  return error;
}

/** RFC 6750 §3: `WWW-Authenticate: Bearer error="insufficient_scope", scope="a b"`. */
function requiredScopes(header: unknown): string[] {
  if (typeof header !== 'string') return [];
  const match = /\bscope="([^"]*)"/i.exec(header);
  return match?.[1] ? match[1].split(' ').filter(Boolean) : [];
}
