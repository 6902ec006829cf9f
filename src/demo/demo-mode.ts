import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { ConnectionsService, ConnectSessionsService } from 'signing-auth';
import { AppConfigError, validateAppConfig, type AppConfig } from '../config/app-config.js';
import { EMBEDDED_DATABASE_LOCK_FILE, lockEmbeddedDatabase } from '../database/embedded-database-lock.js';
import { startDemoStandIns, type DemoStandIns } from './demo-stand-ins.js';

/** The tenant the demo makes ready. */
export const DEMO_TENANT = 'demo';
/** How long the printed Connect link works: the longest a connect session may last. */
const LINK_SECONDS = 86_400;

export interface PreparedDemo {
  /** The configuration the app runs with: the stand-ins' hosts, the demo's own data folder. */
  config: AppConfig;
  standIns: DemoStandIns;
}

/**
 * `npm run demo` (SIGNING_AUTH_DEMO=1), before the app's modules load: starts the providers' stand-ins and
 * points the app at them through the same environment variables a user would set (the Nest config module
 * reads `env` later). The demo always runs on a fresh embedded database of its own (`<data dir>/demo`), so
 * it never touches a real database nor the data of `npm start`, and every start begins from the same place:
 * the stand-ins forget everything when they stop, so stored grants would be dead anyway.
 */
export async function prepareDemo(config: AppConfig, env: NodeJS.ProcessEnv): Promise<PreparedDemo> {
  // validateAppConfig refuses the demo in production already; this is the last line of defence.
  if (config.production) throw new AppConfigError('The demo never runs with NODE_ENV=production.');
  const dataDir = join(config.dataDir, 'demo');
  wipeDemoData(dataDir);
  const standIns = await startDemoStandIns(config.publicUrl);
  delete env.DATABASE_URL;
  env.SIGNING_AUTH_DATA_DIR = dataDir;
  // Every 5 s, so the 2-minute DocuSign token is renewed (and its refresh token rotated) in sight.
  env.SIGNING_AUTH_SWEEP_CRON ??= '*/5 * * * * *';
  env.SIGNING_AUTH_DOCUSIGN_OAUTH_URL = standIns.hosts.docusignOAuthUrl;
  env.SIGNING_AUTH_FORMSTACK_AUTH_URL = standIns.hosts.formstackAuthUrl;
  env.SIGNING_AUTH_SIGNICAT_URL = standIns.hosts.signicatUrl;
  env.SIGNING_AUTH_DOCSPRING_API_URL = standIns.hosts.docspringApiUrl;
  return { config: validateAppConfig(env), standIns };
}

/**
 * Saves the demo tenant's connections (each checked with its stand-in on save; DocuSign's code grant waits
 * for the person's consent) and returns a Connect link for that tenant: a connect session, so the page
 * opens on the tenant without an admin token.
 */
export async function seedDemoTenant(app: INestApplication, standIns: DemoStandIns): Promise<string> {
  const connections = app.get(ConnectionsService);
  const { docusign, formstack, signicat, docspring } = standIns.credentials;
  await connections.upsert(DEMO_TENANT, 'docusign', {
    config: { environment: 'demo', integrationKey: docusign.integrationKey, grant: 'authorization_code' },
    secrets: { secretKey: docusign.secretKey },
  });
  await connections.upsert(DEMO_TENANT, 'formstack-sign', {
    config: { clientId: formstack.clientId, grant: 'client_credentials' },
    secrets: { clientSecret: formstack.clientSecret },
  });
  await connections.upsert(DEMO_TENANT, 'signicat', {
    config: {
      clientId: signicat.clientId,
      generation: 'express',
      scopes: ['document_read', 'document_write'],
    },
    secrets: { clientSecret: signicat.clientSecret },
  });
  await connections.upsert(DEMO_TENANT, 'docspring', {
    config: { region: 'us', tokenId: docspring.tokenId },
    secrets: { tokenSecret: docspring.tokenSecret },
  });
  standIns.docusign.onRotation = () =>
    console.log(
      `[demo] ${new Date().toISOString().slice(11, 19)} DocuSign stand-in: refresh token rotated ` +
        '(new access token for 2 minutes; the old refresh token is retired)',
    );
  const session = await app
    .get(ConnectSessionsService)
    .create(DEMO_TENANT, { expiresInSeconds: LINK_SECONDS, allowDelete: true });
  return session.connectUrl;
}

/** Empties the demo's data folder, unless another demo process holds its database (then says so). */
function wipeDemoData(dataDir: string): void {
  const databaseDir = join(dataDir, 'pglite');
  mkdirSync(databaseDir, { recursive: true });
  lockEmbeddedDatabase(databaseDir);
  for (const entry of readdirSync(databaseDir)) {
    if (entry !== EMBEDDED_DATABASE_LOCK_FILE)
      rmSync(join(databaseDir, entry), { recursive: true, force: true });
  }
  for (const entry of readdirSync(dataDir)) {
    if (entry !== 'pglite') rmSync(join(dataDir, entry), { recursive: true, force: true });
  }
}
