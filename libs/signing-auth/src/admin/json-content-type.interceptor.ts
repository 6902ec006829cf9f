import {
  Injectable,
  UnsupportedMediaTypeException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';

/** `application/json`, `application/merge-patch+json`, with or without parameters (`; charset=utf-8`). */
const JSON_TYPE = /^application\/(?:[a-z0-9.+-]*\+)?json\s*(?:;|$)/i;

/**
 * Admin routes take JSON only. A body of any other type (curl's default form encoding, text/plain) is
 * answered 415 with the fix, before anything reads it: a form-encoded JSON document would otherwise be
 * parsed into one long "field name" and reach a validation message.
 * @internal
 */
@Injectable()
export class JsonContentTypeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    if (hasBody(request) && !JSON_TYPE.test(request.headers['content-type'] ?? '')) {
      throw new UnsupportedMediaTypeException('body: send Content-Type: application/json');
    }
    return next.handle();
  }
}

/** RFC 9112 §6.3: a request has a body when it says so with Content-Length > 0 or Transfer-Encoding. */
function hasBody(request: Request): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(request.headers['content-length'] ?? 0);
  return Number.isFinite(length) ? length > 0 : true;
}
