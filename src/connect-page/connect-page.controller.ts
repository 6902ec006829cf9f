import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'connect.js': 'text/javascript; charset=utf-8',
  'connect.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/**
 * The Connect page: static HTML, CSS and vanilla JS from `src/public/connect/` (no build step; found from
 * both the sources and the compiled `dist/src/`). A strict CSP: only this origin's script and styles.
 */
@ApiExcludeController()
@Controller('connect')
export class ConnectPageController {
  private readonly dir = findPublicDir();

  @Get()
  index(@Res() res: Response): void {
    // Relative asset URLs and the OAuth return both need the trailing slash.
    if (!res.req.originalUrl.split('?')[0].endsWith('/')) {
      const query = res.req.originalUrl.includes('?')
        ? res.req.originalUrl.slice(res.req.originalUrl.indexOf('?'))
        : '';
      return res.redirect(302, `/connect/${query}`);
    }
    this.send(res, 'index.html');
  }

  @Get(':file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (!Object.hasOwn(FILES, file) || file === 'index.html') throw new NotFoundException();
    this.send(res, file);
  }

  private send(res: Response, file: string): void {
    res.setHeader('Content-Type', FILES[file]);
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(join(this.dir, file));
  }
}

function findPublicDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [
    resolve(here, '../public/connect'), // src/connect-page → src/public/connect
    resolve(here, '../../../src/public/connect'), // dist/src/connect-page → src/public/connect
    resolve('src/public/connect'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0];
}
