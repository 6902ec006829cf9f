import { join } from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { demoBannerLines } from '../demo/demo-banner.js';

export interface BannerFacts {
  /** Base URL a person opens in a browser, e.g. http://localhost:3000. */
  baseUrl: string;
  config: AppConfig;
  /** The generated development admin token, when the admin token is not set in the environment. */
  devAdminToken?: string;
  /** `npm run demo`: the demo tenant's Connect link. */
  demoConnectUrl?: string;
}

/**
 * The last thing `npm start` prints: what to open and what to paste. It comes after every other start-up
 * line so it is what a newcomer sees without scrolling.
 */
export function startBanner({ baseUrl, config, devAdminToken, demoConnectUrl }: BannerFacts): string {
  const secretsFile = join(config.dataDir, 'dev-secrets.json');
  const database = config.databaseUrl
    ? 'PostgreSQL from DATABASE_URL'
    : `embedded PostgreSQL in ${join(config.dataDir, 'pglite')}`;
  const token = devAdminToken
    ? [
        `  Development admin token: ${devAdminToken}`,
        `    (kept in ${secretsFile}; paste it into the Connect page, or send it as`,
        `     "Authorization: Bearer <token>" to ${baseUrl}/signing-auth/...)`,
      ]
    : ['  Admin token    the one you set in SIGNING_AUTH_ADMIN_TOKENS'];
  const rule = '-'.repeat(78);
  return [
    '',
    rule,
    `  signing-auth example app is ready${demoConnectUrl ? ' in DEMO MODE' : ''} (${database})`,
    '',
    `  Connect page   ${baseUrl}/signing-auth/connect/`,
    `  API docs       ${baseUrl}/docs`,
    `  Health         ${baseUrl}/health`,
    '',
    ...token,
    ...(demoConnectUrl ? ['', ...demoBannerLines(demoConnectUrl, config.dataDir)] : []),
    rule,
    '',
  ].join('\n');
}
