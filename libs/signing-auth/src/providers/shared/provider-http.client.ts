import { ProviderFailure } from '../provider.errors.js';
import type { StrategyContext } from '../strategy.interface.js';
import {
  classifyHttpFailure,
  classifyNetworkFailure,
  type FailureContext,
} from './provider-error.classifier.js';

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
}

/** A parsed JSON object from a successful answer. @internal */
export type JsonObject = Record<string, unknown>;

/**
 * The one way strategies talk to providers: fetch with the caller's AbortSignal plus a timeout of its
 * own, defensive JSON parsing, and every failure turned into a classified {@link ProviderFailure}
 * whose message holds no secret.
 * @internal
 */
export class ProviderHttpClient {
  constructor(private readonly timeoutMs: number) {}

  async request(
    request: ProviderRequest,
    context: StrategyContext,
    failure: FailureContext,
  ): Promise<JsonObject> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([context.signal, timeout]);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.authorization) headers.authorization = request.authorization;
    let body: string | undefined;
    if (request.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = formEncode(request.form);
    }
    let response: Response;
    let text: string;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers,
        body,
        signal,
        redirect: 'manual',
      });
      // Reading the body can fail too: a connection dropped mid-answer is as transient as one never made.
      text = await response.text();
    } catch (error) {
      throw classifyNetworkFailure(failure, error, timeout.aborted && !context.signal.aborted);
    }
    const parsed = parseJson(text);
    const ok = request.okStatuses
      ? request.okStatuses.includes(response.status)
      : response.status >= 200 && response.status < 300;
    if (!ok) {
      throw classifyHttpFailure(
        failure,
        { status: response.status, headers: response.headers, body: parsed },
        context.now(),
      );
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      // A 200 that is not a JSON object (a proxy's HTML page, a truncated body): try again later.
      throw new ProviderFailure(
        'transient',
        `${failure.provider} ${failure.operation} for tenant "${failure.tenantId}" returned a response that is not a JSON object (HTTP ${response.status})`,
        { code: 'invalid_response', httpStatus: response.status },
      );
    }
    return parsed as JsonObject;
  }
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

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
