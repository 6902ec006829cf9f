import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { setNoStore } from './no-store.js';

/** body-parser's failures, answered without its messages (the parse error's quotes the body). */
const BODY_PARSER_ANSWERS: Record<string, { statusCode: number; error: string; message: string }> = {
  'entity.parse.failed': { statusCode: 400, error: 'Bad Request', message: 'body: is not valid JSON' },
  'entity.too.large': { statusCode: 413, error: 'Payload Too Large', message: 'body: is too large' },
  'encoding.unsupported': {
    statusCode: 415,
    error: 'Unsupported Media Type',
    message: 'body: send it uncompressed with Content-Type: application/json',
  },
  'charset.unsupported': {
    statusCode: 415,
    error: 'Unsupported Media Type',
    message: 'body: send Content-Type: application/json (UTF-8)',
  },
  'request.size.invalid': {
    statusCode: 400,
    error: 'Bad Request',
    message: 'body: length does not match Content-Length',
  },
  'request.aborted': { statusCode: 400, error: 'Bad Request', message: 'body: the request was aborted' },
  'parameters.too.many': {
    statusCode: 415,
    error: 'Unsupported Media Type',
    message: 'body: send Content-Type: application/json',
  },
};

/**
 * Malformed JSON fails in the host's body parser, before routing, so the admin controllers' filter never
 * sees it, and Nest answers with V8's SyntaxError message, which quotes the body: a secret sent in a
 * broken PUT would come back in the response. This registers an Express error handler for the admin
 * prefix only that answers `400 body: is not valid JSON` instead. It is added while modules initialise,
 * i.e. after Nest's parsers and routes and before Nest's own error handler; other routes are untouched.
 * @internal
 */
@Injectable()
export class AdminBodyErrors implements OnModuleInit {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!this.options.adminApi || !adapter || adapter.getType() !== 'express') return;
    // Express routes case-insensitively (`/SIGNING-AUTH/...` reaches the admin routes), so must this check.
    const marker = `/${this.options.routePrefix}/`.replace(/\/+/g, '/').toLowerCase();
    const handler = (error: unknown, req: Request, res: Response, next: NextFunction): void => {
      const type = (error as { type?: unknown })?.type;
      const answer = typeof type === 'string' ? BODY_PARSER_ANSWERS[type] : undefined;
      const path = `${req.path}/`.toLowerCase();
      if (!answer || res.headersSent || !path.includes(marker)) return next(error);
      // `errors` as in every other admin 400: one problem, on the body.
      const problem = answer.message.replace(/^body: /, '');
      setNoStore(res);
      res.status(answer.statusCode).json({ ...answer, errors: [{ field: 'body', message: problem }] });
    };
    (adapter.getInstance() as { use(handler: unknown): void }).use(handler);
  }
}
