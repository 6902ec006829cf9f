import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Inject, Param, Req, Res, type Type } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { connectPageHeaders } from './connect-page-headers.js';

/**
 * The page's files, shipped in the package next to `dist/` and `src/` (package.json `files`). Found from this
 * module's own location, so the same path works from the sources, from `dist/` and from an installed tarball:
 * `src/connect-page/` and `dist/connect-page/` are both two levels below the package root.
 */
export const CONNECT_PAGE_DIR = fileURLToPath(new URL('../../connect-page/', import.meta.url));

/** The fixed file set: nothing else under the directory is ever served. @internal */
export const CONNECT_PAGE_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'connect.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
  'main.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'credentials-form.js': 'text/javascript; charset=utf-8',
  'connections-table.js': 'text/javascript; charset=utf-8',
  'connection-actions.js': 'text/javascript; charset=utf-8',
  'connect-link.js': 'text/javascript; charset=utf-8',
  'tenant-session.js': 'text/javascript; charset=utf-8',
};

/** Every file, read once at start-up: a package missing one fails the boot, not a visitor's request. */
function readPageFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(CONNECT_PAGE_FILES)) {
    try {
      files.set(name, readFileSync(`${CONNECT_PAGE_DIR}${name}`));
    } catch (error) {
      throw new Error(
        `signing-auth: connectPage is on but the Connect page file ${name} is missing from ${CONNECT_PAGE_DIR} ` +
          `(${(error as Error).message}). Reinstall the signing-auth package.`,
        { cause: error },
      );
    }
  }
  return files;
}

/**
 * `GET {prefix}/connect/` and its assets: the Connect page, for the operator (admin token) and for a
 * tenant's connect session (`#session=<token>`). Not guarded: the page holds no data, it calls the admin
 * API, which checks every request. @internal
 */
export function createConnectPageController(prefix: string): Type<unknown> {
  @ApiExcludeController()
  @Controller(`${prefix}/connect`)
  class ConnectPageController {
    private readonly files = readPageFiles();
    private readonly headers: Record<string, string>;

    constructor(@Inject(RESOLVED_OPTIONS) options: ResolvedOptions) {
      this.headers = connectPageHeaders(options.connect.frameAncestors);
    }

    @Get()
    index(@Req() request: Request, @Res() response: Response): void {
      // Relative asset URLs and the API prefix (read from the address) need the trailing slash. A relative
      // Location keeps whatever global prefix or proxy path the host puts in front.
      const [path, query] = splitQuery(request.originalUrl);
      if (!path.endsWith('/')) {
        this.setHeaders(response);
        return response.redirect(302, `connect/${query}`);
      }
      this.send(response, 'index.html');
    }

    @Get(':file')
    asset(@Param('file') file: string, @Res() response: Response): void {
      if (!Object.hasOwn(CONNECT_PAGE_FILES, file)) {
        // Answered here, with the page's headers, rather than by the host's exception filter.
        this.setHeaders(response);
        response.status(404).setHeader('Content-Type', 'text/plain; charset=utf-8');
        response.end('Not found');
        return;
      }
      this.send(response, file);
    }

    private send(response: Response, file: string): void {
      this.setHeaders(response);
      response.status(200).setHeader('Content-Type', CONNECT_PAGE_FILES[file]);
      response.end(this.files.get(file));
    }

    private setHeaders(response: Response): void {
      for (const [name, value] of Object.entries(this.headers)) response.setHeader(name, value);
    }
  }
  return ConnectPageController;
}

function splitQuery(url: string): [string, string] {
  const at = url.indexOf('?');
  return at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at)];
}
