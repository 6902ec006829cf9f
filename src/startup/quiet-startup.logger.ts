import { ConsoleLogger } from '@nestjs/common';

/** Nest's start-up chatter: one line per module and per route (about 40 lines). */
const CHATTY_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

/**
 * Nest's console logger without the module and route listing, so the banner and the lines that matter
 * (database creation, the development admin token) stay on the first screen. The routes are listed at
 * /docs. `SIGNING_AUTH_LOG_ROUTES=1` brings the listing back.
 */
export class QuietStartupLogger extends ConsoleLogger {
  private readonly showRoutes = process.env.SIGNING_AUTH_LOG_ROUTES === '1';

  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (!this.showRoutes && typeof context === 'string' && CHATTY_CONTEXTS.has(context)) return;
    super.log(message, ...optionalParams);
  }
}
