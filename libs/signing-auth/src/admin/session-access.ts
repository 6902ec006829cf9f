import type { Request } from 'express';
import type { ConnectSession } from '../connect-sessions/connect-sessions.service.js';

/**
 * What a route lets a connect session do. A route without it is for admins only.
 * - `read`: any open session of the route's tenant;
 * - `write`: the same (saving credentials, authorize, refresh, test) — its own level so a read-only session
 *   can be added without touching the routes;
 * - `delete`: only a session created with `allowDelete: true`.
 * On every level the route's `:tenantId` must be the session's tenant and its `:provider` one of the
 * session's providers.
 * @internal
 */
export type SessionAccessLevel = 'read' | 'write' | 'delete';

/** Metadata key of {@link SessionAccessLevel}, set by `@SessionAccess()`. @internal */
export const SESSION_ACCESS = 'signing-auth:session-access';

const sessions = new WeakMap<Request, ConnectSession>();

/** Remembers the session the guard admitted a request with (a WeakMap: nothing is added to the request). @internal */
export function attachSession(request: Request, session: ConnectSession): void {
  sessions.set(request, session);
}

/** The session a request was admitted with; undefined for an admin. @internal */
export function sessionOf(request: Request): ConnectSession | undefined {
  return sessions.get(request);
}
