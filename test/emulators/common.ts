/**
 * Small helpers shared by every emulator: body parsing, Basic auth, random ids, PKCE and reply builders.
 * Kept dependency-free (node: modules only) so the emulators start in a few milliseconds.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A request as the emulators see it, and as `emu.requests` records it. */
export interface EmulatorRequest {
  method: string;
  /** Path without the query string, e.g. `/oauth/token`. */
  path: string;
  query: Record<string, string>;
  /** Node's lower-cased header map; values are byte-for-byte what the client sent. */
  headers: IncomingHttpHeaders;
  /** Header names and values in the order and case the client sent them. */
  rawHeaders: string[];
  /** Parsed body: form fields or JSON object; `{}` when empty or not parseable. */
  body: Record<string, unknown>;
  rawBody: string;
  /** Emulator clock time at arrival (see `setClock` / `advance`). */
  at: Date;
  /** Which listener received it (`main`, or e.g. `legacy` / `idfy`). */
  listener: string;
  /** Set when failure injection answered this request instead of the emulator. */
  injected?: boolean;
}

/** What a route handler returns; the base class writes it (or drops it, see failure injection). */
export interface EmulatorReply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON, strings as-is (text/plain unless a content-type header is given). */
  body?: unknown;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorReply {
  // Token responses must not be cached (RFC 6749 §5.1); harmless elsewhere.
  return { status, body, headers: { 'cache-control': 'no-store', ...headers } };
}

export function redirect(location: string): EmulatorReply {
  return { status: 302, headers: { location }, body: '' };
}

export function parseBody(contentType: string | undefined, raw: string): Record<string, unknown> {
  if (!raw) return {};
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : { value: parsed };
    } catch {
      return {};
    }
  }
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw));
  return {};
}

/** A string form/JSON field, or undefined. */
export function field(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  return typeof v === 'string' ? v : undefined;
}

export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * Parses `Authorization: Basic …`. With `formDecode`, user and password are form-url-decoded as RFC 6749 §2.3.1
 * requires for OAuth clients; DocSpring token ids are used verbatim.
 */
export function parseBasicAuth(header: string | undefined, formDecode = true): BasicCredentials | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  const dec = (s: string): string => {
    if (!formDecode) return s;
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { username: dec(decoded.slice(0, i)), password: dec(decoded.slice(i + 1)) };
}

export function parseBearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1] : undefined;
}

/** Constant-time string comparison, so the emulators model what real servers do with secrets. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function randomToken(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

export function pkceS256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export function splitScopes(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter((s) => s.length > 0);
}

/** Appends query parameters to a redirect URI that may already carry some. */
export function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

/** RFC 6749 §5.2 error body. */
export function oauthError(error: string, description?: string, status = 400): EmulatorReply {
  return json(status, description === undefined ? { error } : { error, error_description: description });
}
