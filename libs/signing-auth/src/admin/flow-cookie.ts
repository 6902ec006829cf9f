import type { Request, Response } from 'express';
import { bindingCookieName, type BrowserBinding } from '../authorization/authorization-link.service.js';
import { AdminInputError } from './admin-error.js';

/**
 * Whether `POST …/authorize` binds its flow to the calling browser: `?bindBrowser=true|false` when given;
 * otherwise yes for a same-origin browser request (the Connect page served by this app: browsers send
 * `Sec-Fetch-Site`, API clients do not), no for everything else, so API-started flows work as before.
 * @internal
 */
export function bindBrowser(request: Request): boolean {
  const asked = request.query?.bindBrowser;
  if (asked === 'true') return true;
  if (asked === 'false') return false;
  if (asked !== undefined) throw new AdminInputError('bindBrowser', 'must be "true" or "false"');
  return request.headers['sec-fetch-site'] === 'same-origin';
}

/** HttpOnly, SameSite=Lax (sent on the provider's top-level redirect back), only on the callback path. @internal */
export function setBindingCookie(response: Response, binding: BrowserBinding, callbackUrl: string): void {
  const url = new URL(callbackUrl);
  response.cookie(binding.name, binding.value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: url.protocol === 'https:',
    path: url.pathname,
    maxAge: binding.maxAgeSeconds * 1000,
  });
}

/** The flow is over (either way): the cookie has no further use. @internal */
export function clearBindingCookies(
  response: Response,
  state: string | undefined,
  callbackUrl: string,
): void {
  if (!state || !state.includes('.')) return;
  const url = new URL(callbackUrl);
  response.clearCookie(bindingCookieName(state), {
    httpOnly: true,
    sameSite: 'lax',
    secure: url.protocol === 'https:',
    path: url.pathname,
  });
}

/** The request's cookies without a cookie-parser dependency (the host app may have none). @internal */
export function requestCookies(request: Request): Record<string, string> {
  const cookies: Record<string, string> = {};
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name.startsWith('signing_auth_flow_')) continue;
    try {
      cookies[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // a malformed value is the same as none
    }
  }
  return cookies;
}
