import { HttpException, HttpStatus } from '@nestjs/common';
import {
  ConnectionNotFoundError,
  ConnectionValidationError,
  ConnectionVerificationError,
  UnknownProviderError,
  type FieldProblem,
} from '../connections/connection.errors.js';
import {
  AuthorizationNotSupportedError,
  AuthorizationStateError,
  ProviderAuthorizationError,
} from '../authorization/authorization.errors.js';
import {
  DocSpringCredentialsError,
  DocSpringDataRequestNotFoundError,
  DocSpringInvalidTokenTypeError,
} from '../docspring/docspring.errors.js';
import { ProviderFailure } from '../providers/provider.errors.js';
import { ConnectSessionOptionsError } from '../connect-sessions/connect-session.errors.js';

/** The JSON body of every admin API error. @publicApi */
export interface AdminErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /**
   * Bad input only (400): every problem found, each naming the field and the fix, never the value.
   * `message` joins them, so a client that reads only `message` still sees them all.
   */
  errors?: FieldProblem[];
}

/** The admin API's errors for its own input checks (body and path). @internal */
export class AdminInputError extends ConnectionValidationError {}

/**
 * Maps what the library throws onto `{ statusCode, error, message }`. One table for every admin route, so
 * the same failure gets the same status everywhere:
 * - 400: bad input (a field and why), an unknown provider id, an unknown/expired/other provider's OAuth
 *   state, the provider's own `error` on the callback (e.g. `access_denied`);
 * - 404: no such connection;
 * - 422: the provider refused the credentials being saved (nothing was stored);
 * - 409: a flow in the wrong state (a replayed OAuth state, authorize on a connection that does not use
 *   the authorization-code grant, refresh of a pending or needs_reauth connection);
 * - 502: the provider failed (message names tenant, provider and reason);
 * - 500 with the message: a stored row this app cannot read (names tenant, provider, key id).
 * The token lifecycle's errors are recognised by their `name`, so this table does not import that layer.
 * Anything unrecognised is a 500 whose message says nothing about the error (it could be anything).
 */
export function toAdminErrorBody(error: unknown, route: AdminRouteContext = {}): AdminErrorBody {
  if (error instanceof HttpException) return fromHttpException(error);
  if (error instanceof ConnectionValidationError) return invalid(error.message, [...error.problems]);
  if (error instanceof ConnectSessionOptionsError) return invalid(error.message, [...error.problems]);
  if (error instanceof UnknownProviderError) {
    return invalid(error.message, [
      { field: 'provider', message: `must be one of: ${error.known.join(', ')}` },
    ]);
  }
  if (error instanceof ConnectionNotFoundError) return body(404, error.message);
  if (error instanceof ConnectionVerificationError) return body(422, error.message);
  if (error instanceof AuthorizationStateError) {
    if (error.reason === 'replayed') return body(409, error.message);
    if (error.reason === 'wrong_issuer' || error.reason === 'missing_issuer') {
      const problem = error.reason === 'wrong_issuer' ? 'names another issuer' : 'is missing';
      return invalid(error.message, [{ field: 'iss', message: problem }]);
    }
    return invalid(error.message, [{ field: 'state', message: stateProblem(error.reason) }]);
  }
  if (error instanceof ProviderAuthorizationError) {
    return invalid(error.message, [{ field: 'error', message: 'the provider refused the authorization' }]);
  }
  if (error instanceof AuthorizationNotSupportedError) return body(409, error.message);
  if (error instanceof DocSpringDataRequestNotFoundError) return body(404, error.message);
  if (error instanceof DocSpringInvalidTokenTypeError) {
    return invalid(error.message, [{ field: 'type', message: 'must be "api" or "email"' }]);
  }
  if (error instanceof DocSpringCredentialsError) return body(502, error.message);
  if (error instanceof ProviderFailure) return body(502, providerFailed(error.message, route));
  const named = error as { name?: unknown; message?: unknown; reason?: unknown; status?: unknown };
  const message = typeof named?.message === 'string' ? named.message : '';
  switch (named?.name) {
    case 'SigningAuthReauthRequiredError':
    case 'SigningAuthConnectionPendingError':
    case 'SigningAuthConnectionDisabledError':
      return body(409, message);
    case 'SigningAuthRefreshError':
      return body(502, providerFailed(message, route));
    // Stored data this app cannot read (key id not in the keyring, strategy removed): the server's
    // configuration is at fault, and the message (secret-free by construction) says what to fix.
    case 'SigningAuthUnprocessableConnectionError':
    case 'SecretDecryptionError':
      return body(500, message);
  }
  // body-parser's errors (malformed JSON, body too large) carry their own 4xx status.
  if (typeof named?.status === 'number' && named.status >= 400 && named.status < 500) {
    if (named.status === 400)
      return invalid('body: is not valid JSON', [{ field: 'body', message: 'is not valid JSON' }]);
    return body(named.status, message || 'Bad request');
  }
  return body(500, 'Internal server error');
}

/** The route's path parameters, so a provider failure's message always names tenant and provider. */
export interface AdminRouteContext {
  tenantId?: string;
  provider?: string;
}

function providerFailed(message: string, route: AdminRouteContext): string {
  const { tenantId, provider } = route;
  if (!provider || !tenantId || (message.includes(provider) && message.includes(tenantId))) return message;
  return `${provider} failed for tenant "${tenantId}": ${message}`;
}

function fromHttpException(error: HttpException): AdminErrorBody {
  const status = error.getStatus();
  const response = error.getResponse();
  const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const text = Array.isArray(message)
    ? message.map(String).join('; ')
    : typeof message === 'string'
      ? message
      : error.message;
  if (status !== 400) return body(status, text);
  return invalid(text, [{ field: 'request', message: text }]);
}

function stateProblem(reason: string): string {
  if (reason === 'expired') return 'has expired: start the flow again';
  if (reason === 'wrong_provider') return "belongs to another provider's flow";
  if (reason === 'other_browser') return 'belongs to a flow started in another browser: finish it there';
  if (reason === 'several_flows')
    return 'is missing and several flows are open in this browser: start again, one at a time';
  if (reason === 'missing') return 'is missing: the provider redirected back without the state it was sent';
  return 'is unknown: start the flow again';
}

function invalid(message: string, errors: FieldProblem[]): AdminErrorBody {
  return { ...body(400, message), errors };
}

function body(statusCode: number, message: string): AdminErrorBody {
  return { statusCode, error: reasonPhrase(statusCode), message };
}

function reasonPhrase(statusCode: number): string {
  const name = HttpStatus[statusCode] as string | undefined;
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}
