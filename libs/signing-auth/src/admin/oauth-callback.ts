import type { AuthorizationCallbackParams } from '../authorization/authorization-flow.service.js';
import {
  AuthorizationStateError,
  ProviderAuthorizationError,
} from '../authorization/authorization.errors.js';
import type { ConnectionView } from '../connections/connection-view.js';
import type { AdminApiOptions } from '../signing-auth.options.js';
import { AdminInputError, toAdminErrorBody } from './admin-error.js';

const MAX_PARAM_LENGTH = 4096;

/** The callback query → the flow's params; a repeated or oversized parameter is a 400. @internal */
export function callbackParams(query: Record<string, unknown>): AuthorizationCallbackParams {
  const params: AuthorizationCallbackParams = {};
  for (const name of ['code', 'state', 'error', 'error_description', 'iss'] as const) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new AdminInputError(name, 'must be given once, as a string');
    if (value.length > MAX_PARAM_LENGTH)
      throw new AdminInputError(name, `must be at most ${MAX_PARAM_LENGTH} characters`);
    params[name] = value;
  }
  return params;
}

/** Redirect only when a URL is configured and the caller did not ask for JSON. @internal */
export function wantsRedirect(admin: AdminApiOptions, accept: string | undefined): boolean {
  if (!admin.successRedirectUrl && !admin.failureRedirectUrl) return false;
  return !asksForJson(accept);
}

/** `Accept: application/json`: an API caller, answered JSON whatever redirects are configured. @internal */
export function asksForJson(accept: string | undefined): boolean {
  return (accept ?? '').toLowerCase().includes('application/json');
}

/** `successRedirectUrl?tenantId=&provider=&status=`. @internal */
export function successRedirect(admin: AdminApiOptions, view: ConnectionView): string {
  const target = admin.successRedirectUrl ?? admin.failureRedirectUrl!;
  return withQuery(target, { tenantId: view.tenantId, provider: view.provider, status: view.status });
}

/**
 * `failureRedirectUrl?provider=&tenantId=&error=&error_description=&message=`: the provider's own `error`
 * and description are passed on, not swallowed; our own failures get a short code (`state_expired`, ...).
 * @internal
 */
export function failureRedirect(admin: AdminApiOptions, provider: string, error: unknown): string {
  const target = admin.failureRedirectUrl ?? admin.successRedirectUrl!;
  const body = toAdminErrorBody(error, { provider });
  const query: Record<string, string | undefined> = { provider, message: body.message };
  if (error instanceof ProviderAuthorizationError) {
    Object.assign(query, {
      tenantId: error.tenantId,
      error: error.error,
      error_description: error.description,
    });
  } else if (error instanceof AuthorizationStateError) {
    Object.assign(query, { tenantId: error.tenantId, error: `state_${error.reason}` });
  } else {
    const tenantId = (error as { tenantId?: unknown })?.tenantId;
    Object.assign(query, {
      tenantId: typeof tenantId === 'string' ? tenantId : undefined,
      error: body.statusCode >= 500 && body.statusCode !== 502 ? 'server_error' : 'connect_failed',
    });
  }
  return withQuery(target, query);
}

function withQuery(target: string, query: Record<string, string | undefined>): string {
  // A relative redirect (e.g. `/connect/`) must not turn a finished connect into a 500.
  const url = new URL(target, 'http://relative.invalid');
  const relative = url.origin === 'http://relative.invalid';
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) url.searchParams.set(name, value);
  return relative ? `${url.pathname}${url.search}${url.hash}` : url.toString();
}
