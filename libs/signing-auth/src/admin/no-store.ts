import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';

/**
 * Admin answers hold connection views, consent links and (DocSpring) short-lived tokens: no browser cache,
 * proxy or back/forward cache may keep them. Set before the handler runs, so errors thrown later carry it
 * too; the exception filter and the body-parser error handler set it for answers that never get here.
 * @internal
 */
export function setNoStore(response: Pick<Response, 'setHeader' | 'headersSent'>): void {
  if (!response.headersSent) response.setHeader('Cache-Control', 'no-store');
}

/** `Cache-Control: no-store` on every admin route's answer. @internal */
@Injectable()
export class NoStoreInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    setNoStore(context.switchToHttp().getResponse<Response>());
    return next.handle();
  }
}
