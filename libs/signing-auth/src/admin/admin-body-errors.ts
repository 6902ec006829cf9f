import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';

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
    const marker = `/${this.options.routePrefix}/`.replace(/\/+/g, '/');
    const handler = (error: unknown, req: Request, res: Response, next: NextFunction): void => {
      const parseFailed = (error as { type?: unknown })?.type === 'entity.parse.failed';
      const path = `${req.path}/`;
      if (!parseFailed || res.headersSent || !path.includes(marker)) return next(error);
      res.status(400).json({
        statusCode: 400,
        error: 'Bad Request',
        message: 'body: is not valid JSON',
        errors: [{ field: 'body', message: 'is not valid JSON' }],
      });
    };
    (adapter.getInstance() as { use(handler: unknown): void }).use(handler);
  }
}
