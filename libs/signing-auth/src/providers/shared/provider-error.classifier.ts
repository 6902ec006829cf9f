import { ProviderFailure } from '../provider.errors.js';

/** Who a failure belongs to, and which values must never appear in its message. @internal */
export interface FailureContext {
  provider: string;
  tenantId: string;
  /** Secrets of the connection (client secret, tokens, ...): redacted from anything the provider echoes. */
  secrets?: Iterable<string | null | undefined>;
  /** What was being done, e.g. `refresh`, `code exchange`, `userinfo`. */
  operation: string;
}

/** OAuth codes meaning the grant itself is gone: re-authorize, do not retry. */
const GRANT_GONE = new Set(['invalid_grant', 'consent_required', 'interaction_required', 'login_required']);
/** OAuth codes (and DocuSign descriptions) meaning the client credentials were refused. */
const CLIENT_REFUSED = new Set(['invalid_client', 'unauthorized_client', 'issuer_not_found']);
/** 4xx statuses that are about timing, not about the request: retry. */
const TRANSIENT_4XX = new Set([408, 425, 429]);
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

/** Classifies a non-2xx HTTP answer from a provider. */
export function classifyHttpFailure(
  ctx: FailureContext,
  response: { status: number; retryAfter?: string | null; body: unknown },
  now: Date,
): ProviderFailure {
  const { status } = response;
  const parsed = parseProviderErrorBody(response.body);
  const code = parsed.code ? redact(parsed.code, ctx.secrets) : undefined;
  const description = parsed.description ? redact(parsed.description, ctx.secrets) : undefined;
  const base = { code, description, httpStatus: status };
  const said = [code, description].filter(Boolean).join(': ');
  const where = `${ctx.provider} ${ctx.operation} for tenant "${ctx.tenantId}"`;
  const suffix = `(HTTP ${status}${said ? `, ${said}` : ''})`;

  if (status >= 500 || TRANSIENT_4XX.has(status)) {
    const retryAfterMs = parseRetryAfter(response.retryAfter, now);
    return new ProviderFailure('transient', `${where} failed temporarily ${suffix}`, {
      ...base,
      code: code ?? (status === 429 ? 'rate_limited' : 'http_error'),
      retryAfterMs,
    });
  }
  const clientRefused =
    status === 401 ||
    (code !== undefined && CLIENT_REFUSED.has(code)) ||
    (description !== undefined && CLIENT_REFUSED.has(description));
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
  // Any other 4xx (invalid_scope, invalid_request, 403, 404): the request itself is wrong, so retrying the
  // same request cannot help. A human has to fix the connection.
  return new ProviderFailure('needs_reauth', `${where} was rejected ${suffix}`, {
    ...base,
    code: code ?? 'http_error',
  });
}

/** The module option that moves each built-in provider's host (a person's next step when it is unreachable). */
const HOST_OPTIONS: Record<string, string> = {
  docusign: 'the hosts.docusignOAuthUrl option',
  'formstack-sign': 'the hosts.formstackAuthUrl option (hosts.formstackLegacyAuthUrl for legacy credentials)',
  signicat: 'the hosts.signicatUrl option (hosts.signicatIdfyUrl for the idfy generation)',
  docspring: 'the hosts.docspringApiUrl option',
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
