import type { AxiosError, AxiosResponse, InternalAxiosRequestConfig } from 'axios';

/** What replaces a credential wherever a request or its error keeps a copy. @internal */
export const REDACTED = '[REDACTED]';

/**
 * Removes the credential from what axios hands back after a signed request: `config.headers`, and the
 * raw header text node keeps on the `ClientRequest` (`sent` is the exact header value that went out, so
 * a plain string replacement finds it). The `request` object itself (which also holds the header where we
 * cannot rewrite it: node's internal header map, follow-redirects' options) stays readable but is made
 * non-enumerable, so `console.log`, `util.inspect`, JSON and loggers that walk an object's own
 * properties do not print it.
 * @internal
 */
export function redactExchange(
  config: InternalAxiosRequestConfig | undefined,
  holder: RequestHolder | undefined,
  sent: string,
): void {
  redactConfigHeader(config, sent);
  const request = holder?.request as RawRequest | undefined;
  if (!holder || request === undefined) return;
  redactRawHeader(request, sent);
  redactRawHeader(request?._currentRequest, sent);
  Object.defineProperty(holder, 'request', {
    value: request,
    enumerable: false,
    writable: true,
    configurable: true,
  });
}

/** Redacts an axios error (and the response it carries) before it reaches the caller. @internal */
export function redactAxiosError(error: AxiosError, sent: string): AxiosError {
  redactExchange(error.config, error as RequestHolder, sent);
  if (error.response) redactExchange(error.response.config, error.response as RequestHolder, sent);
  return error;
}

/**
 * Redacts a successful response before it reaches the caller, at a fraction of what
 * {@link redactExchange} costs, since every signed answer takes this path: `config.headers` and the
 * request's raw header text at once (with `responseType: 'stream'` the answer's `data` is node's response,
 * whose `req` leads to that text without passing through `request`, so it cannot wait until someone reads
 * it). Making an existing property non-enumerable (`Object.defineProperty`) costs about a microsecond per
 * object, so the caller gets a copy of the response whose `request` lives in a private field behind a
 * getter on the prototype: never an own property, so JSON, `util.inspect`, spreads and loggers that walk
 * own properties do not reach it.
 * @internal
 */
export function redactResponse(response: AxiosResponse, sent: string): AxiosResponse {
  redactConfigHeader(response.config, sent);
  const request = (response as RequestHolder).request as RawRequest | undefined;
  if (request === undefined) return response;
  redactRawHeader(request, sent);
  redactRawHeader(request?._currentRequest, sent);
  const redacted = new SignedResponse(response, request);
  // Nothing should keep axios' own object, but if something does, it no longer leads to the request.
  (response as RequestHolder).request = undefined;
  return redacted as unknown as AxiosResponse;
}

/** An axios response with `request` kept out of its own properties (see {@link redactResponse}). */
class SignedResponse {
  #request: RawRequest | undefined;

  constructor(response: AxiosResponse, request: RawRequest | undefined) {
    const from = response as unknown as Record<string, unknown>;
    const into = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(from)) if (key !== 'request') into[key] = from[key];
    this.#request = request;
  }

  /** The `ClientRequest` (or follow-redirects' wrapper) axios returns, its raw header text redacted. */
  get request(): unknown {
    return this.#request;
  }

  set request(value: unknown) {
    this.#request = value as RawRequest | undefined;
  }
}

/** The header as the request carried it, replaced where axios keeps it (as it was set: no lookup). */
function redactConfigHeader(config: InternalAxiosRequestConfig | undefined, sent: string): void {
  const headers = config?.headers;
  if (!headers) return;
  if (headers.Authorization === sent) headers.Authorization = REDACTED;
  else headers.set('Authorization', REDACTED);
}

/** The request path and method without the query string (which may carry secrets), for messages. @internal */
export function describeRequest(config: InternalAxiosRequestConfig): string {
  const method = (config.method ?? 'get').toUpperCase();
  const url = String(config.url ?? '');
  const path = url.split(/[?#]/, 1)[0] ?? '';
  const full =
    /^[a-z][a-z0-9+.-]*:\/\//i.test(path) || !config.baseURL ? path : joinBase(config.baseURL, path);
  return `${method} ${full}`;
}

type RequestHolder = { request?: unknown };
type RawRequest = { _header?: unknown; _currentRequest?: RawRequest } | null;

function redactRawHeader(request: RawRequest | undefined, sent: string): void {
  const text = request?._header;
  if (typeof text !== 'string' || !sent) return;
  // One scan, and slices rather than a split into an array: this runs on every signed answer.
  let at = text.indexOf(sent);
  if (at < 0) return;
  let redacted = '';
  let from = 0;
  while (at >= 0) {
    redacted += text.slice(from, at) + REDACTED;
    from = at + sent.length;
    at = text.indexOf(sent, from);
  }
  request!._header = redacted + text.slice(from);
}

function joinBase(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
