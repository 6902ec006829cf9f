import { ProviderFailure } from '../provider.errors.js';
import { inExampleApp } from '../../common/option-names.js';

/** Who a failure belongs to, and which values must never appear in its message. @internal */
export interface FailureContext {
  provider: string;
  tenantId: string;
  /** Secrets of the connection (client secret, tokens, ...): redacted from anything the provider echoes. */
  secrets?: Iterable<string | null | undefined>;
  /** What was being done, e.g. `refresh`, `code exchange`, `userinfo`. */
  operation: string;
  /**
   * True for calls that present an access token (userinfo, API calls): a 401 there is about that token,
   * not about the client credentials.
   */
  bearer?: boolean;
  /** The scopes the request asked for (its `scope` form field), for an `invalid_scope` answer's message. */
  requestedScopes?: readonly string[];
}

/** OAuth codes meaning the grant itself is gone: re-authorize, do not retry (RFC 6749 §5.2, OIDC, DocuSign). */
const GRANT_GONE = new Set(['invalid_grant', 'consent_required', 'interaction_required', 'login_required']);
/**
 * Codes and descriptions meaning the client credentials were refused: OAuth's `invalid_client` and
 * `unauthorized_client`; DocuSign's JWT descriptions (providers.md §1.7) and REST `PARTNER_AUTHENTICATION_FAILED`.
 */
const CLIENT_REFUSED = new Set([
  'invalid_client',
  'unauthorized_client',
  'issuer_not_found',
  'no_valid_keys_or_signatures',
  'PARTNER_AUTHENTICATION_FAILED',
]);
/** DocuSign's limit error codes (providers.md §1.9); it answers them with a 4xx other than 429. */
const RATE_LIMIT_CODES = new Set([
  'HOURLY_APIINVOCATION_LIMIT_EXCEEDED',
  'BURST_APIINVOCATION_LIMIT_EXCEEDED',
  'APIINVOCATION_LIMIT_EXCEEDED',
  'rate_limited',
  'too_many_requests',
]);
/** OAuth codes meaning this request as configured is refused: a human must fix the connection's settings. */
const REQUEST_REFUSED = new Set([
  'invalid_scope',
  'invalid_request',
  'unsupported_grant_type',
  'access_denied',
  'invalid_target',
]);
/** OAuth codes meaning the server is busy or down (RFC 6749 §4.1.2.1). */
const SERVER_TROUBLE = new Set(['temporarily_unavailable', 'server_error']);
/** 4xx statuses that are about timing, not about the request: retry. */
const TRANSIENT_4XX = new Set([408, 425, 429]);
/** DocSpring's 401 sentences for a bad token id or secret (providers.md §4). */
const DOCSPRING_REFUSED = /^(Invalid API token secret|Could not find API token)/i;
const MAX_DESCRIPTION = 300;

/** The fields we understand in a provider's error body, whatever its shape. */
export interface ParsedProviderError {
  code?: string;
  description?: string;
}

/**
 * Reads the error shapes of the supported providers, defensively (any of them may be absent or not JSON):
 * OAuth / DocuSign `{error, error_description}`, Signicat `{type, title, detail, code}`, DocSpring
 * `{status: 'error', error}` (where `error` is a sentence, not a code) and `{errors: [...]}`.
 */
export function parseProviderErrorBody(body: unknown): ParsedProviderError {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const b = body as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
  if (b.status === 'error' && str(b.error)) return { description: str(b.error) };
  const errors = Array.isArray(b.errors)
    ? b.errors.filter((e) => typeof e === 'string').join('; ')
    : undefined;
  const code = str(b.error) ?? str(b.code) ?? str(b.errorCode);
  const description =
    str(b.error_description) ?? str(b.detail) ?? str(b.title) ?? str(b.message) ?? (errors || undefined);
  return { code, description };
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Replaces every known secret in `text`, and bounds its length. */
export function redact(text: string, secrets: Iterable<string | null | undefined> = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would redact ordinary words; real secrets are longer.
    if (secret && secret.length >= 6) out = out.split(secret).join('[redacted]');
  }
  return out.length > MAX_DESCRIPTION ? `${out.slice(0, MAX_DESCRIPTION)}…` : out;
}

/** A non-2xx answer as the HTTP client saw it. */
export interface HttpFailureResponse {
  status: number;
  /** The parsed JSON body; `undefined` when the body was empty or not JSON (an HTML page, a proxy's text). */
  body: unknown;
  /** `Retry-After`, when the client passes only that header. */
  retryAfter?: string | null;
  /** Every response header (`Retry-After`, `X-RateLimit-Reset`, `X-RateLimit-Remaining`, `WWW-Authenticate`). */
  headers?: { get(name: string): string | null };
}

/**
 * Classifies a non-2xx HTTP answer from a provider. `needs_reauth` only when the provider's own answer says
 * the grant or the client is gone (or the request as configured is refused); everything that may be a
 * proxy, a WAF, a redirect, a rate limit or an outage is `transient` with the best known retry time.
 */
export function classifyHttpFailure(
  ctx: FailureContext,
  response: HttpFailureResponse,
  now: Date,
): ProviderFailure {
  const { status } = response;
  const header = (name: string): string | null =>
    response.headers?.get(name) ?? (name === 'retry-after' ? (response.retryAfter ?? null) : null);
  const parsed = parseProviderErrorBody(response.body);
  const code = parsed.code ? redact(parsed.code, ctx.secrets) : undefined;
  const description = parsed.description ? redact(parsed.description, ctx.secrets) : undefined;
  const base = { code, description, httpStatus: status };
  const said = [code, description].filter(Boolean).join(': ');
  const where = `${ctx.provider} ${ctx.operation} for tenant "${ctx.tenantId}"`;
  const suffix = `(HTTP ${status}${said ? `, ${said}` : ''})`;
  const transient = (what: string, fallbackCode: string, retryAfterMs?: number): ProviderFailure =>
    new ProviderFailure('transient', `${where} ${what} ${suffix}`, {
      ...base,
      code: code ?? fallbackCode,
      retryAfterMs,
    });

  const rateLimited =
    status === 429 ||
    (code !== undefined && RATE_LIMIT_CODES.has(code)) ||
    ((status === 400 || status === 403) && header('x-ratelimit-remaining')?.trim() === '0');
  if (rateLimited) {
    const retryAfterMs =
      parseRetryAfter(header('retry-after'), now) ?? parseRateLimitReset(header('x-ratelimit-reset'), now);
    return transient('was rate-limited by the provider', 'rate_limited', retryAfterMs);
  }
  if (status >= 500 || TRANSIENT_4XX.has(status) || (code !== undefined && SERVER_TROUBLE.has(code))) {
    return transient('failed temporarily', 'http_error', parseRetryAfter(header('retry-after'), now));
  }
  if (status >= 300 && status < 400) {
    // `redirect: 'manual'`: a login page, a captive portal or a moved endpoint, never an OAuth answer.
    return transient('was redirected instead of answered (check the host settings)', 'redirect');
  }
  const tokenEndpointRefusedClient =
    !ctx.bearer && status === 401 && /\b(basic|invalid_client)\b/i.test(header('www-authenticate') ?? '');
  if (response.body === undefined && !tokenEndpointRefusedClient) {
    // Not the provider's OAuth server speaking (a WAF's HTML 403, a proxy's text 404): nothing to act on.
    return transient("got an answer that is not the provider's JSON", 'invalid_response');
  }
  const clientRefused =
    tokenEndpointRefusedClient ||
    (code !== undefined && CLIENT_REFUSED.has(code)) ||
    (description !== undefined && CLIENT_REFUSED.has(description)) ||
    (description !== undefined && DOCSPRING_REFUSED.test(description)) ||
    (status === 401 && !ctx.bearer && code === undefined);
  if (clientRefused) {
    return new ProviderFailure(
      'needs_reauth',
      `${where}: the provider refused the client credentials; check the connection's secrets ${suffix}`,
      { ...base, credentialsRefused: true },
    );
  }
  if (code !== undefined && GRANT_GONE.has(code)) {
    return new ProviderFailure(
      'needs_reauth',
      `${where}: the grant is no longer valid; the tenant must authorize again ${suffix}`,
      base,
    );
  }
  if (status === 401) {
    // A bearer call (userinfo) or an unrecognised 401: the token was not accepted this time. A fresh token
    // later may well be; the client credentials were not what was refused.
    return transient('was refused the access token', 'bearer_rejected');
  }
  if (code === 'invalid_scope') {
    // Not a credentials problem: the client exists, but its settings at the provider do not allow these.
    const asked = ctx.requestedScopes?.length
      ? ctx.requestedScopes.join(' ')
      : "none sent: the provider's default";
    return new ProviderFailure(
      'needs_reauth',
      `${where}: the provider refused the scopes requested (scopes asked: ${redact(asked, ctx.secrets)}); ` +
        `the client's configuration at ${ctx.provider} must allow them, or change the connection's config.scopes ${suffix}`,
      { ...base, scopeRefused: true },
    );
  }
  if (code !== undefined && REQUEST_REFUSED.has(code)) {
    return new ProviderFailure(
      'needs_reauth',
      `${where} was refused as configured; fix the connection's settings ${suffix}`,
      base,
    );
  }
  // Any other JSON 4xx (an unknown code, 403, 404): the provider answered and refused this request, so
  // retrying the same request cannot help. A human has to look at the connection.
  return new ProviderFailure('needs_reauth', `${where} was rejected ${suffix}`, {
    ...base,
    code: code ?? 'http_error',
  });
}

/**
 * `X-RateLimit-Reset` as milliseconds from now. DocuSign sends epoch seconds (providers.md §1.9); a small
 * number is read as seconds from now, as some gateways send it.
 */
export function parseRateLimitReset(value: string | null | undefined, now: Date): number | undefined {
  if (!value || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  if (n > 1_000_000_000) return Math.max(0, n * 1000 - now.getTime());
  return n * 1000;
}

/** The module option that moves each built-in provider's host (a person's next step when it is unreachable). */
const HOST_OPTIONS: Record<string, string> = {
  docusign:
    'the hosts.docusignOAuthUrls option (per environment) or hosts.docusignOAuthUrl (both)' +
    inExampleApp('hosts.docusignOAuthUrl'),
  'formstack-sign':
    'the hosts.formstackAuthUrl option (hosts.formstackLegacyAuthUrl for legacy credentials)' +
    inExampleApp('hosts.formstackAuthUrl'),
  signicat:
    'the hosts.signicatUrls option (per generation) or hosts.signicatUrl (all)' +
    inExampleApp('hosts.signicatUrl'),
  docspring:
    'the hosts.docspringApiUrls option (per region) or hosts.docspringApiUrl (both)' +
    inExampleApp('hosts.docspringApiUrl'),
  oauth2: "the connection's config.tokenUrl",
};

/** ` reaching https://host:port (set by …)`: the origin only (a path or query could carry anything). */
function reaching(provider: string, url: string | undefined): string {
  let origin: string | undefined;
  try {
    origin = url ? new URL(url).origin : undefined;
  } catch {
    origin = undefined;
  }
  if (!origin || origin === 'null') return '';
  const option = HOST_OPTIONS[provider];
  return ` reaching ${origin}${option ? `; another host is set by ${option}` : ''}`;
}

/**
 * Classifies a failure before any HTTP status arrived: timeout, abort, refused or dropped connection. With
 * the URL tried, the message names its origin and the option that changes it.
 */
export function classifyNetworkFailure(
  ctx: FailureContext,
  error: unknown,
  timedOut: boolean,
  url?: string,
): ProviderFailure {
  const where = `${ctx.provider} ${ctx.operation} for tenant "${ctx.tenantId}"`;
  const target = reaching(ctx.provider, url);
  if (timedOut) {
    return new ProviderFailure('transient', `${where} timed out${target}`, { code: 'timeout' });
  }
  const err = error as { name?: string; cause?: { code?: string } };
  if (err?.name === 'AbortError') {
    return new ProviderFailure('transient', `${where} was aborted`, { code: 'aborted' });
  }
  // Node's fetch wraps the socket error (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET) in `cause`; its code
  // is safe to show, the message of an arbitrary error might not be.
  const cause = typeof err?.cause?.code === 'string' ? ` (${err.cause.code})` : '';
  return new ProviderFailure('transient', `${where} failed: network error${cause}${target}`, {
    code: 'network_error',
  });
}
