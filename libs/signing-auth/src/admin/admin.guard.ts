import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Request } from 'express';
import { isObservable, lastValueFrom } from 'rxjs';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { AdminTokenVerifier } from './admin-token.verifier.js';
import { ConnectSessionGate } from './connect-session.gate.js';
import { FailureThrottle } from './throttle/failure-throttle.js';

/**
 * The guard on every admin route. With `admin.guard` it delegates to that class (resolved from the app's
 * providers if registered there, otherwise created with injection), so the guard can be chosen in
 * `forRootAsync()` too; otherwise it accepts `Authorization: Bearer <one of admin.tokens>`.
 * A connect session token (`Bearer sa_cs_…`) is decided by {@link ConnectSessionGate} alone, on the routes
 * marked `@SessionAccess()`; it never reaches the admin checks below.
 * @internal
 */
@Injectable()
export class SigningAuthAdminGuard implements CanActivate {
  private readonly verifier: AdminTokenVerifier;
  private custom?: Promise<CanActivate | null>;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    private readonly moduleRef: ModuleRef,
    private readonly sessionGate: ConnectSessionGate,
    private readonly throttle: FailureThrottle,
  ) {
    this.verifier = new AdminTokenVerifier(options.admin.tokens ?? []);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.sessionGate.carriesSessionToken(context.switchToHttp().getRequest<Request>())) {
      return this.admitSession(context);
    }
    // A failed resolution is not cached: the next request tries again instead of failing until restart.
    const custom = await (this.custom ??= this.resolveCustomGuard().catch((error: unknown) => {
      this.custom = undefined;
      throw error;
    }));
    if (custom) {
      // Like Nest's own guards: `false` is a 403; a guard that wants a 401 throws UnauthorizedException.
      const result = custom.canActivate(context);
      const allowed = isObservable(result) ? await lastValueFrom(result) : await result;
      if (!allowed) throw new ForbiddenException('This admin may not use this route');
      return true;
    }
    const request = context.switchToHttp().getRequest<Request>();
    // Only the built-in check is limited (a custom guard is the host's own); only wrong credentials count.
    await this.throttle.assertAllowed('admin', request);
    if (!this.verifier.verifyHeader(request.headers.authorization)) {
      if (request.headers.authorization) await this.throttle.recordFailure('admin', request);
      throw new UnauthorizedException(
        request.headers.authorization
          ? 'The admin token is not valid'
          : 'Missing admin credentials: send Authorization: Bearer <admin token>',
      );
    }
    return true;
  }

  /** A session token that is unknown, expired or revoked counts as a failed guess, like a wrong admin token. */
  private async admitSession(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    await this.throttle.assertAllowed('admin', request);
    try {
      return await this.sessionGate.admit(context);
    } catch (error) {
      if (error instanceof UnauthorizedException) await this.throttle.recordFailure('admin', request);
      throw error;
    }
  }

  /** Resolved on first use rather than at init: enhancers do not reliably get lifecycle hooks. */
  private async resolveCustomGuard(): Promise<CanActivate | null> {
    const guardClass = this.options.admin.guard;
    if (!guardClass) return null;
    try {
      return this.moduleRef.get(guardClass, { strict: false });
    } catch {
      return this.moduleRef.create(guardClass);
    }
  }
}
