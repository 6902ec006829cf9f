import type { ConnectSessionOptions } from '../signing-auth.options.js';
import { CONNECT_SESSION_TOKEN_PREFIX } from './connect-session-token.js';

/** `connect` with its defaults applied. @internal */
export interface ResolvedConnectOptions {
  /** Canonical origins (`URL.origin`), no trailing slash. */
  returnUrlOrigins: string[];
  /** Absolute page URL; a session's `connectUrl` is this plus `#session=<token>`. */
  pageUrl: string;
}

/**
 * Checks `connect` at bootstrap: every origin must be exactly an origin and the page an absolute http(s) URL,
 * so a typo fails the start instead of refusing every `returnUrl` (or building broken links) at run time.
 * @internal
 */
export function resolveConnectOptions(
  given: ConnectSessionOptions | undefined,
  publicUrl: string,
  routePrefix: string,
): ResolvedConnectOptions {
  const returnUrlOrigins = (given?.returnUrlOrigins ?? []).map((entry) => {
    const origin = originOf(entry);
    // Scheme and host are case-insensitive (`new URL` lowercases them): `https://App.example.com` is an origin.
    if (!origin || origin !== String(entry).replace(/\/$/, '').toLowerCase()) {
      throw new Error(
        `signing-auth: connect.returnUrlOrigins must list origins such as "https://app.example.com" ` +
          `(scheme, host and optional port; no path): got ${JSON.stringify(String(entry).slice(0, 200))}.`,
      );
    }
    return origin;
  });
  const pageUrl = given?.pageUrl ?? `${publicUrl}/${routePrefix ? `${routePrefix}/` : ''}connect/`;
  if (!originOf(pageUrl) || pageUrl.includes('#')) {
    throw new Error(
      'signing-auth: connect.pageUrl must be an absolute http(s) URL without a fragment ' +
        '(the session token travels in the fragment).',
    );
  }
  return { returnUrlOrigins, pageUrl };
}

/** Admin tokens and session tokens must never be mistaken for each other: refuse the prefix for admins. @internal */
export function assertNoSessionPrefix(adminTokens: readonly string[] | undefined): void {
  if ((adminTokens ?? []).some((token) => token.startsWith(CONNECT_SESSION_TOKEN_PREFIX))) {
    throw new Error(
      `signing-auth: an admin token may not start with "${CONNECT_SESSION_TOKEN_PREFIX}", the prefix of ` +
        'connect session tokens. Generate another one (openssl rand -base64 32).',
    );
  }
}

/** The origin of an absolute http(s) URL without credentials, or undefined. @internal */
export function originOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password) return undefined;
  return url.origin;
}
