import {
  Catch,
  Injectable,
  Logger,
  Optional,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { ConnectionNotFoundError, UnknownProviderError } from '../connections/connection.errors.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import { toAdminErrorBody } from './admin-error.js';
import { setNoStore } from './no-store.js';
import { TooManyFailuresException } from './throttle/failure-throttle.js';

/**
 * Scoped to the admin controllers (never global): every error leaves as `{ statusCode, error, message }`
 * with the status from {@link toAdminErrorBody}, whatever the host app's own filters do.
 * @internal
 */
@Catch()
@Injectable()
export class AdminExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(AdminExceptionFilter.name);

  constructor(@Optional() private readonly strategies?: StrategyRegistry) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const body = toAdminErrorBody(this.explain(exception), {
      tenantId: params.tenantId,
      provider: params.provider,
    });
    if (body.statusCode >= 500) {
      // An unrecognised error may come from a custom strategy, a driver or Node, and its message may quote
      // what it was working on: log its name and code only; the client gets neither. The library's own
      // 500s (an unreadable row) carry a secret-free message that says what to fix: log that.
      const error = exception as { name?: string; code?: unknown };
      const code = typeof error?.code === 'string' ? ` (${error.code})` : '';
      const what = body.message !== 'Internal server error' ? `: ${body.message}` : '';
      this.logger.error(`${request.method} ${request.path}: ${error?.name ?? 'unknown error'}${code}${what}`);
    }
    if (response.headersSent) return;
    setNoStore(response);
    if (body.statusCode === 401) response.setHeader('WWW-Authenticate', 'Bearer');
    if (exception instanceof TooManyFailuresException)
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    response.status(body.statusCode).json(body);
  }

  /**
   * "No nosuch connection for tenant acme" hides the real mistake when `nosuch` is no provider at all: say
   * that, with the known ones. Checked only once no connection was found, so a row whose custom strategy
   * was removed from the options can still be read and deleted.
   */
  private explain(exception: unknown): unknown {
    if (!(exception instanceof ConnectionNotFoundError) || !this.strategies) return exception;
    if (this.strategies.has(exception.provider)) return exception;
    return new UnknownProviderError(exception.provider, this.strategies.ids);
  }
}
