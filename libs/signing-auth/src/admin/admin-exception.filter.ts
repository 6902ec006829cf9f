import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toAdminErrorBody } from './admin-error.js';

/**
 * Scoped to the admin controllers (never global): every error leaves as `{ statusCode, error, message }`
 * with the status from {@link toAdminErrorBody}, whatever the host app's own filters do.
 * @internal
 */
@Catch()
export class AdminExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(AdminExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const body = toAdminErrorBody(exception, { tenantId: params.tenantId, provider: params.provider });
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
    if (body.statusCode === 401) response.setHeader('WWW-Authenticate', 'Bearer');
    response.status(body.statusCode).json(body);
  }
}
