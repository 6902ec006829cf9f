import type { AxiosError, AxiosResponse, InternalAxiosRequestConfig } from 'axios';

/** What replaces a credential wherever a request or its error keeps a copy. @internal */
export const REDACTED = '[REDACTED]';

const AUTHORIZATION_LINE = /^(authorization|proxy-authorization):[^\r\n]*/gim;

/**
 * Removes the credential from what axios hands back after a signed request: `config.headers`, and the
 * raw header text node keeps on the `ClientRequest`. The `request` object itself (which holds the header
 * in places we cannot rewrite: node's internal header map, follow-redirects' options) stays readable but
 * is made non-enumerable, so `console.log`, `util.inspect`, JSON and loggers that walk an error's own
 * properties do not print it.
 * @internal
 */
export function redactExchange(config: InternalAxiosRequestConfig | undefined, holder?: RequestHolder): void {
  if (config?.headers) {
    if (config.headers.has('Authorization')) config.headers.set('Authorization', REDACTED);
  }
  if (holder && holder.request !== undefined) {
    redactRawHeader(holder.request);
    redactRawHeader((holder.request as { _currentRequest?: unknown })?._currentRequest);
    Object.defineProperty(holder, 'request', {
      value: holder.request,
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }
}

/** Redacts an axios error (and the response it carries) before it reaches the caller. @internal */
export function redactAxiosError(error: AxiosError): AxiosError {
  redactExchange(error.config, error as RequestHolder);
  if (error.response) redactExchange(error.response.config, error.response as RequestHolder);
  return error;
}

/** Redacts a successful response before it reaches the caller. @internal */
export function redactResponse(response: AxiosResponse): AxiosResponse {
  redactExchange(response.config, response as RequestHolder);
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

function redactRawHeader(request: unknown): void {
  const target = request as { _header?: unknown } | null | undefined;
  if (target && typeof target._header === 'string') {
    target._header = target._header.replace(
      AUTHORIZATION_LINE,
      (line) => `${line.split(':', 1)[0]}: ${REDACTED}`,
    );
  }
}

function joinBase(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
