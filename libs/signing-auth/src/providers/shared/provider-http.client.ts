import { request as httpRequest, type Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { ForbiddenAddressError, type NetworkPolicy } from '../../network/network-policy.js';
import { ProviderFailure } from '../provider.errors.js';
import type { StrategyContext } from '../strategy.interface.js';
import { ProviderAgents } from './provider-agents.js';
import {
  classifyHttpFailure,
  classifyNetworkFailure,
  parseProviderErrorBody,
  type FailureContext,
} from './provider-error.classifier.js';

/** The most of a provider's answer that is read; a longer one is cut off and treated as an outage. @internal */
export const MAX_PROVIDER_ANSWER_BYTES = 1024 * 1024;
/** The longest provider description that reaches `lastError`, events and admin answers. */
const MAX_DESCRIPTION_CHARS = 200;
/** RFC 6749 §4.1.2.1 / §5.2, RFC 6750 §3.1 and OpenID Connect Core §3.1.2.6 error codes. */
const OAUTH_ERROR_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'unsupported_response_type',
  'server_error',
  'temporarily_unavailable',
  'invalid_token',
  'insufficient_scope',
  'interaction_required',
  'login_required',
  'consent_required',
  'account_selection_required',
  'invalid_dpop_proof',
  'use_dpop_nonce',
  'slow_down',
  'authorization_pending',
  'expired_token',
]);
/** Form fields that carry a secret (RFC 6749, RFC 7636, RFC 7523). */
const SECRET_FORM_FIELDS = ['client_secret', 'refresh_token', 'code', 'code_verifier', 'assertion'];
/** RFC 6749 §5.2 error codes (and the providers' own) are short ASCII tokens. */
const ERROR_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** One request to a provider endpoint. @internal */
export interface ProviderRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Sent as `application/x-www-form-urlencoded`; `undefined` values are left out. */
  form?: Record<string, string | undefined>;
  /** The full `Authorization` header value, if any. */
  authorization?: string;
  /** Status codes that count as success. Default: any 2xx. */
  okStatuses?: number[];
  /**
   * The URL comes from a connection's config (tenant data, e.g. the generic OAuth 2.0 `tokenUrl`): the
   * {@link NetworkPolicy} decides which addresses it may reach, checked on the address the socket opens to.
   * Operator-configured hosts (built-in hosts, `hosts` overrides) are trusted. Default: `false`.
   */
  tenantUrl?: boolean;
}

/** A parsed JSON object from a successful answer. @internal */
export type JsonObject = Record<string, unknown>;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

class AnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
  constructor(readonly status: number) {
    super('answer too large');
  }
}

/**
 * The one way strategies talk to providers: node's http(s) client with the caller's AbortSignal plus a
 * timeout of its own (covering connect, headers and body), at most {@link MAX_PROVIDER_ANSWER_BYTES} read,
 * no redirects followed, keep-alive sockets ({@link ProviderAgents}), tenant URLs held to the
 * {@link NetworkPolicy} at connection time, defensive JSON
 * parsing, and every failure turned into a classified {@link ProviderFailure} whose message holds no
 * secret and none of the provider's raw body: only its error code and a short, sanitized description.
 * @internal
 */
export class ProviderHttpClient {
  private readonly agents: ProviderAgents;

  constructor(
    private readonly timeoutMs: number,
    private readonly network?: NetworkPolicy,
  ) {
    this.agents = new ProviderAgents(network?.lookup);
  }

  /** Closes the pooled keep-alive sockets (they never keep the process alive: idle ones are unref'd). */
  close(): void {
    this.agents.destroy();
  }

  async request(
    request: ProviderRequest,
    context: StrategyContext,
    failure: FailureContext,
  ): Promise<JsonObject> {
    const where = `${failure.provider} ${failure.operation} for tenant "${failure.tenantId}"`;
    const url = this.target(request, where);
    const timeout = { ms: this.timeoutMs, expired: false };
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'identity' };
    if (request.authorization) headers.authorization = request.authorization;
    let body: string | undefined;
    if (request.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = formEncode(request.form);
    }
    const checked = request.tenantUrl === true && this.network !== undefined;
    let answer: Answer;
    try {
      answer = await send(url, {
        method: request.method,
        headers,
        body,
        signal: context.signal,
        timeout,
        agent: this.agents.for(url, checked),
      });
    } catch (error) {
      if (error instanceof ForbiddenAddressError) throw forbidden(where, error);
      if (error instanceof AnswerTooLargeError) {
        throw new ProviderFailure(
          'transient',
          `${where} failed: the answer is larger than ${MAX_PROVIDER_ANSWER_BYTES} bytes`,
          { code: 'response_too_large', httpStatus: error.status },
        );
      }
      // Only the error's name and code go on: its message may quote addresses or what was sent.
      const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
      throw classifyNetworkFailure(
        failure,
        { name, cause: { code: typeof code === 'string' ? code : undefined } },
        timeout.expired && !context.signal.aborted,
        request.url,
      );
    }
    const parsed = parseJson(answer.text);
    const ok = request.okStatuses
      ? request.okStatuses.includes(answer.status)
      : answer.status >= 200 && answer.status < 300;
    if (!ok) {
      throw classifyHttpFailure(
        request.form?.scope ? { ...failure, requestedScopes: request.form.scope.split(' ') } : failure,
        {
          status: answer.status,
          headers: { get: (name) => headerValue(answer.headers[name]) },
          // Undefined (not JSON: an HTML page, a proxy's text) tells the classifier who is not speaking.
          body: parsed === undefined ? undefined : errorFields(parsed, answer.status, request),
        },
        context.now(),
      );
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      // A 200 that is not a JSON object (a proxy's HTML page, a truncated body): try again later.
      throw new ProviderFailure(
        'transient',
        `${where} returned a response that is not a JSON object (HTTP ${answer.status})`,
        { code: 'invalid_response', httpStatus: answer.status },
      );
    }
    return parsed as JsonObject;
  }

  /** The URL, checked before anything is sent: http(s) only, and a literal address held to the policy. */
  private target(request: ProviderRequest, where: string): URL {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      url = new URL('invalid:');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ProviderFailure('needs_reauth', `${where}: the endpoint is not an http(s) URL`, {
        code: 'invalid_endpoint',
      });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (request.tenantUrl && this.network && isIP(host)) {
      // IP literals never go through a lookup, so the connection-time check happens here.
      const refused = this.network.refusal(host);
      if (refused) throw forbidden(where, refused);
    }
    return url;
  }
}

function forbidden(where: string, error: ForbiddenAddressError): ProviderFailure {
  // A human must change the connection's URL (or the module's network options): retrying cannot help.
  return new ProviderFailure('needs_reauth', `${where}: the endpoint ${error.reason}`, {
    code: 'forbidden_address',
  });
}

function send(
  url: URL,
  options: {
    method: string;
    headers: Record<string, string>;
    body?: string;
    signal: AbortSignal;
    /** The client's own limit; `expired` is set when it ended the request. */
    timeout: { ms: number; expired: boolean };
    agent: HttpAgent;
  },
): Promise<Answer> {
  return new Promise<Answer>((done, fail) => {
    // A plain timer rather than a second AbortSignal: the caller's signal is followed by node itself,
    // and a signal of our own would cost an AbortController and listeners on every call.
    const timer = setTimeout(() => {
      options.timeout.expired = true;
      req.destroy(
        Object.assign(new Error('The operation was aborted due to timeout'), { name: 'AbortError' }),
      );
    }, options.timeout.ms);
    timer.unref(); // a request in flight keeps the process alive by its socket, not by this timer
    const resolve = (answer: Answer): void => {
      clearTimeout(timer);
      done(answer);
    };
    const reject = (error: unknown): void => {
      clearTimeout(timer);
      fail(error);
    };
    const transport = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = transport(
      url,
      {
        method: options.method,
        headers: options.body
          ? { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) }
          : options.headers,
        signal: options.signal,
        // A tenant URL's agent opens every socket through the checking lookup, so its pooled sockets were
        // all checked when they connected (ProviderAgents).
        agent: options.agent,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const tooLarge = (): void => {
          reject(new AnswerTooLargeError(status));
          req.destroy();
        };
        if (Number(res.headers['content-length']) > MAX_PROVIDER_ANSWER_BYTES) return tooLarge();
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_PROVIDER_ANSWER_BYTES) return tooLarge();
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
        // Dropped mid-answer (or aborted by the signal): as transient as a connection never made.
        res.on('close', () => {
          if (!res.complete) reject(Object.assign(new Error('answer cut off'), { code: 'ECONNRESET' }));
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * What of an error answer may travel on (into the classifier, then `lastError`, events and admin answers):
 * the error code when it looks like one, and a short sanitized description for 4xx answers. Nothing else
 * of the body. An answer from a tenant-supplied URL must look like an OAuth error answer (a valid `error`
 * code) for its description to be kept at all: an internal service's 404 page is not quoted.
 */
function errorFields(body: unknown, status: number, request: ProviderRequest): Record<string, string> {
  const parsed = parseProviderErrorBody(body);
  const shaped = parsed.code !== undefined && ERROR_CODE.test(parsed.code);
  // A tenant URL may lead anywhere: only the OAuth registry's codes count as an OAuth error answer there.
  const code =
    shaped && (!request.tenantUrl || OAUTH_ERROR_CODES.has(parsed.code!)) ? parsed.code : undefined;
  const fields: Record<string, string> = {};
  if (code) fields.error = code;
  const describable = status >= 400 && status < 500 && (!request.tenantUrl || code !== undefined);
  const description = describable
    ? sanitizeDescription(withoutSentCredentials(parsed.description, request))
    : undefined;
  if (description) fields.error_description = description;
  return fields;
}

/**
 * A provider that echoes the request back would quote the `Authorization` value (base64 of id:secret, or a
 * token) and the form's values: the classifier redacts the raw secrets it knows, this the encoded forms.
 */
function withoutSentCredentials(text: string | undefined, request: ProviderRequest): string | undefined {
  if (!text) return text;
  let out = text;
  const credential = request.authorization?.slice(request.authorization.indexOf(' ') + 1);
  const secretFields = SECRET_FORM_FIELDS.map((name) => request.form?.[name]);
  const encoded = secretFields.map((value) => (value ? formEncode({ v: value }).slice(2) : undefined));
  for (const value of [request.authorization, credential, ...secretFields, ...encoded]) {
    if (value && value.length >= 8) out = out.split(value).join('[redacted]');
  }
  return out;
}

/** Printable text only (no control or format characters, no markup), whitespace collapsed, bounded. */
export function sanitizeDescription(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const clean = value
    .replace(/[^\p{L}\p{N}\p{P}\p{Zs}=+]/gu, ' ')
    .replace(/[<>]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!clean) return undefined;
  return clean.length > MAX_DESCRIPTION_CHARS ? `${clean.slice(0, MAX_DESCRIPTION_CHARS)}…` : clean;
}

/** `application/x-www-form-urlencoded` as RFC 6749 appendix B specifies (space as `+`). */
export function formEncode(form: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) if (value !== undefined) params.append(key, value);
  return params.toString();
}

/**
 * `Basic` credentials for an OAuth client: id and secret are form-encoded first (RFC 6749 §2.3.1), which
 * leaves the usual alphanumeric/GUID credentials unchanged.
 */
export function oauthBasicAuth(clientId: string, clientSecret: string): string {
  const enc = (v: string): string => formEncode({ v }).slice(2);
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`, 'utf8').toString('base64')}`;
}

function headerValue(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
