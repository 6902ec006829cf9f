import { ForbiddenException, Injectable, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { sessionBearer } from '../connect-sessions/connect-session-token.js';
import { ConnectSessionsService } from '../connect-sessions/connect-sessions.service.js';
import { attachSession, SESSION_ACCESS, type SessionAccessLevel } from './session-access.js';

const UNUSABLE = {
  unknown: 'The connect session token is not valid',
  expired: 'The connect session has expired: ask for a new connect link',
  revoked: 'The connect session was revoked: ask for a new connect link',
} as const;

/**
 * The admin guard's half for connect session tokens (`Bearer sa_cs_…`). A request carrying one is decided
 * here only: such a token is never checked as an admin token (nor handed to a custom admin guard). Order:
 * 401 when the session is not open (unknown, expired, revoked), then 403 when the route is admin-only, is
 * another tenant's, names a provider outside the session's, or deletes without `allowDelete`.
 * @internal
 */
@Injectable()
export class ConnectSessionGate {
  constructor(
    private readonly sessions: ConnectSessionsService,
    private readonly reflector: Reflector,
  ) {}

  /** Whether the request carries a session token (then {@link admit} decides, not the admin checks). */
  carriesSessionToken(request: Request): boolean {
    return sessionBearer(request.headers.authorization) !== undefined;
  }

  async admit(context: ExecutionContext): Promise<true> {
    const request = context.switchToHttp().getRequest<Request>();
    const resolved = await this.sessions.resolve(sessionBearer(request.headers.authorization) ?? '');
    if (!resolved.ok) throw new UnauthorizedException(UNUSABLE[resolved.reason]);
    const { session } = resolved;
    const level = this.reflector.getAllAndOverride<SessionAccessLevel | undefined>(SESSION_ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!level) {
      throw new ForbiddenException(
        'A connect session may not use this route: it needs an admin token ' +
          "(connect sessions may list, read, save, authorize, refresh and test their own tenant's connections)",
      );
    }
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    if (params.tenantId !== undefined && params.tenantId !== session.tenantId) {
      throw new ForbiddenException(
        `This connect session belongs to another tenant: it may act only on tenant "${session.tenantId}"`,
      );
    }
    if (params.provider !== undefined && !session.providers.includes(params.provider)) {
      throw new ForbiddenException(
        `This connect session does not cover this provider: it may act only on ${session.providers.join(', ')}`,
      );
    }
    if (level === 'delete' && !session.allowDelete) {
      throw new ForbiddenException(
        'This connect session may not delete connections: create the session with allowDelete: true',
      );
    }
    attachSession(request, session);
    return true;
  }
}
