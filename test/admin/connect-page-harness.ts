import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  startDocSpringEmulator,
  startDocuSignEmulator,
  startSignicatEmulator,
  type DocSpringEmulator,
  type DocuSignEmulator,
  type SignicatEmulator,
} from '../emulators/index.js';
import { freePort, startApp, type AppProcess } from '../support/app-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * What the Connect page browser tests share: the example app as `npm start` runs it (compiled, own process),
 * the DocuSign, Signicat and DocSpring emulators as the providers, and Debian's Chromium.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const describeWithBrowser = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) {
  console.warn(
    `Skipping the Connect page browser tests: ${CHROMIUM} is missing (apt-get install -y chromium).`,
  );
}

export const shot = (name: string) => resolve(`artifacts/connect-page-${name}.png`);

export const CREDENTIALS = {
  adminToken: randomBytes(18).toString('base64url'),
  docusign: { integrationKey: randomUUID(), secretKey: `CANARY-page-secret-${randomUUID()}` },
  signicat: { clientId: `sig-${randomUUID().slice(0, 8)}`, clientSecret: `CANARY-signicat-${randomUUID()}` },
  docspring: { tokenId: `tok_${randomUUID().slice(0, 8)}`, tokenSecret: `CANARY-docspring-${randomUUID()}` },
};

export interface PageHarness {
  app: AppProcess;
  browser: Browser;
  docusign: DocuSignEmulator;
  close(): Promise<void>;
}

export async function startPageHarness(env: Record<string, string> = {}): Promise<PageHarness> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const docusign = await startDocuSignEmulator({
    clients: [
      {
        clientId: CREDENTIALS.docusign.integrationKey,
        secret: CREDENTIALS.docusign.secretKey,
        redirectUris: [`${publicUrl}/signing-auth/oauth/docusign/callback`],
      },
    ],
    users: [
      {
        sub: randomUUID(),
        accounts: [{ account_id: randomUUID(), account_name: 'Acme', base_uri: 'https://demo.docusign.net' }],
      },
    ],
  });
  const signicat: SignicatEmulator = await startSignicatEmulator({
    clients: [
      {
        clientId: CREDENTIALS.signicat.clientId,
        secret: CREDENTIALS.signicat.clientSecret,
        generation: 'express',
        scopes: ['document_read', 'document_write'],
      },
    ],
  });
  const docspring: DocSpringEmulator = await startDocSpringEmulator({
    apiTokens: [{ id: CREDENTIALS.docspring.tokenId, secret: CREDENTIALS.docspring.tokenSecret }],
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'signing-auth-connect-page-'));
  const db: TestDatabase | undefined = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
  const app = await startApp(
    {
      PORT: String(port),
      SIGNING_AUTH_DATA_DIR: dataDir,
      SIGNING_AUTH_ADMIN_TOKENS: CREDENTIALS.adminToken,
      SIGNING_AUTH_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      SIGNING_AUTH_PUBLIC_URL: publicUrl,
      SIGNING_AUTH_DOCUSIGN_OAUTH_URL: docusign.url,
      SIGNING_AUTH_SIGNICAT_URL: signicat.url,
      SIGNING_AUTH_DOCSPRING_API_URL: docspring.url,
      ...(db?.url ? { DATABASE_URL: db.url } : {}),
      ...env,
    },
    60_000,
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await mkdir(resolve('artifacts'), { recursive: true });
  return {
    app,
    browser,
    docusign,
    close: async () => {
      await browser.close();
      await app.stop();
      await docusign.close();
      await signicat.close();
      await docspring.close();
      await db?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Nothing sticks out sideways, and no table cell is squeezed to a letter-wide column. */
export async function expectFitsWidth(page: Page, width: number): Promise<void> {
  // Runs in the page, so a string keeps the DOM's types out of this Node-typed file.
  const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
  expect({ width, scrollWidth }).toEqual({ width, scrollWidth: width });
  const errorWidths = await page
    .locator('#connections td.error-text .value')
    .evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().width));
  for (const w of errorWidths) expect(w).toBeGreaterThan(120);
}

/**
 * The outcome a person is looking for: inside the window (not at the top while they are at the bottom),
 * focused (a screen reader reads it), announced (aria-live), coloured by `kind`. Returns its text.
 */
export async function expectOutcomeInView(page: Page, selector: string, kind: string): Promise<string> {
  const box = page.locator(selector);
  await box.locator('.outcome-text').waitFor();
  const facts = await box.evaluate((node) => {
    const view = node.ownerDocument.defaultView!;
    const rect = node.getBoundingClientRect();
    return {
      kind: node.getAttribute('data-kind'),
      // A pixel of slack: scrolling aligns to fractional positions.
      inView: rect.top >= -1 && rect.bottom <= view.innerHeight + 1 && rect.height > 0,
      where: [Math.round(rect.top), Math.round(rect.bottom), view.innerHeight],
      focused: node.ownerDocument.activeElement === node,
      live: node.getAttribute('aria-live'),
      background: view.getComputedStyle(node).backgroundColor,
    };
  });
  const text = (await box.textContent()) ?? '';
  // The text rides along so a wrong outcome shows what it said.
  expect({ ...facts, text }).toEqual({
    where: facts.where,
    kind,
    inView: true,
    focused: true,
    live: 'polite',
    background: BACKGROUNDS[kind],
    text,
  });
  return text;
}

/** connect.css: green, amber, red, blue. */
const BACKGROUNDS: Record<string, string> = {
  success: 'rgb(220, 243, 227)',
  warning: 'rgb(255, 243, 205)',
  error: 'rgb(251, 224, 224)',
  info: 'rgb(232, 240, 251)',
};

/** Creates a connect session with the admin API, as a host's backend would. */
export async function createConnectSession(
  app: AppProcess,
  tenantId: string,
  body: Record<string, unknown>,
): Promise<{ token: string; connectUrl: string; expiresAt: string }> {
  const res = await fetch(`${app.url}/signing-auth/tenants/${tenantId}/connect-sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CREDENTIALS.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`connect-sessions answered ${res.status}: ${text}`);
  return JSON.parse(text) as { token: string; connectUrl: string; expiresAt: string };
}
