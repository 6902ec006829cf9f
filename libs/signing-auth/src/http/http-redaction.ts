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
  config?.headers?.set('Authorization', REDACTED);
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

/** Redacts a successful response before it reaches the caller. @internal */
export function redactResponse(response: AxiosResponse, sent: string): AxiosResponse {
  redactExchange(response.config, response as RequestHolder, sent);
  return response;
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
  if (request && typeof request._header === 'string' && sent) {
    request._header = request._header.split(sent).join(REDACTED);
  }
}

function joinBase(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
