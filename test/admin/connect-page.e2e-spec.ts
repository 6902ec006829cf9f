import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
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

const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT = resolve('artifacts/connect-page.png');
const shot = (name: string) => resolve(`artifacts/connect-page-${name}.png`);
const ADMIN_TOKEN = randomBytes(18).toString('base64url');
const IK = randomUUID();
const SECRET = `CANARY-page-secret-${randomUUID()}`;
const USER = randomUUID();
const ACCOUNT = randomUUID();
const SIGNICAT_ID = `sig-${randomUUID().slice(0, 8)}`;
const SIGNICAT_SECRET = `CANARY-signicat-${randomUUID()}`;
const DOCSPRING_ID = `tok_${randomUUID().slice(0, 8)}`;
const DOCSPRING_SECRET = `CANARY-docspring-${randomUUID()}`;

const describeWithBrowser = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) {
  console.warn(
    `Skipping the Connect page browser test: ${CHROMIUM} is missing (apt-get install -y chromium).`,
  );
}

/**
 * The example app as `npm start` runs it (compiled, own process), the DocuSign emulator as the provider and
 * Debian's Chromium as the admin's browser: sign in, add credentials, Connect, consent, back to the page.
 */
describeWithBrowser('Connect page in a real browser', () => {
  let emu: DocuSignEmulator;
  let signicat: SignicatEmulator;
  let docspring: DocSpringEmulator;
  let db: TestDatabase | undefined;
  let dataDir: string;
  let app: AppProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    emu = await startDocuSignEmulator({
      clients: [
        { clientId: IK, secret: SECRET, redirectUris: [`${publicUrl}/signing-auth/oauth/docusign/callback`] },
      ],
      users: [
        {
          sub: USER,
          accounts: [{ account_id: ACCOUNT, account_name: 'Acme', base_uri: 'https://demo.docusign.net' }],
        },
      ],
    });
    signicat = await startSignicatEmulator({
      clients: [
        {
          clientId: SIGNICAT_ID,
          secret: SIGNICAT_SECRET,
          generation: 'express',
          scopes: ['document_read', 'document_write'],
        },
      ],
    });
    docspring = await startDocSpringEmulator({ apiTokens: [{ id: DOCSPRING_ID, secret: DOCSPRING_SECRET }] });
    dataDir = await mkdtemp(join(tmpdir(), 'signing-auth-connect-page-'));
    if (process.env.DATABASE_URL) db = await createTestDatabase();
    app = await startApp(
      {
        PORT: String(port),
        SIGNING_AUTH_DATA_DIR: dataDir,
        SIGNING_AUTH_ADMIN_TOKENS: ADMIN_TOKEN,
        SIGNING_AUTH_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        SIGNING_AUTH_PUBLIC_URL: publicUrl,
        SIGNING_AUTH_DOCUSIGN_OAUTH_URL: emu.url,
        SIGNING_AUTH_SIGNICAT_URL: signicat.url,
        SIGNING_AUTH_DOCSPRING_API_URL: docspring.url,
        ...(db?.url ? { DATABASE_URL: db.url } : {}),
      },
      60_000,
    );
    browser = await chromium.launch({
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
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await emu?.close();
    await signicat?.close();
    await docspring?.close();
    await db?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const row = (provider: string) => page.locator(`#connections tbody tr[data-provider="${provider}"]`);
  const actionsOf = async (provider: string) =>
    row(provider)
      .locator('button[data-action]')
      .evaluateAll((buttons) => buttons.map((b) => b.textContent));
  const message = async () => (await page.locator('#message').textContent()) ?? '';

  /** Nothing sticks out sideways, and no table cell is squeezed to a letter-wide column. */
  async function expectFitsWidth(width: number): Promise<void> {
    // Runs in the page, so a string keeps the DOM's types out of this Node-typed file.
    const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect({ width, scrollWidth }).toEqual({ width, scrollWidth: width });
    // "Last error" used to be squeezed into a column a few letters wide.
    const errorWidths = await page
      .locator('#connections td.error-text .value')
      .evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().width));
    for (const w of errorWidths) expect(w).toBeGreaterThan(120);
  }

  async function signIn(tenantId: string): Promise<void> {
    await page.goto(`${app.url}/connect/`);
    // A wrong token is refused at sign-in, once, and the page stays on the sign-in form.
    await page.fill('#token', 'not-the-admin-token');
    await page.click('#sign-in');
    await page.locator('#message.error').waitFor();
    expect(await message()).toBe('The admin token was refused: check it and sign in again.');
    expect(await page.locator('#admin').isHidden()).toBe(true);

    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#sign-in');
    await page.locator('#admin').waitFor({ state: 'visible' });
    await page.fill('#tenant', tenantId);
    await page.click('#load');
    await page.locator('#no-connections').waitFor({ state: 'visible' });
  }

  for (const width of [1280, 390]) {
    describe(`at ${width} px`, () => {
      const tenantId = `acme-${width}`;

      beforeAll(async () => {
        page = await browser.newPage({ viewport: { width, height: 900 } });
        page.on('dialog', (dialog) => void dialog.accept());
      });

      afterAll(async () => {
        await page?.close();
      });

      it('connects DocuSign through its form: required marks, every problem at once, Connect, consent, active', async () => {
        await signIn(tenantId);
        await page.selectOption('#provider', 'docusign');
        // The form comes from the API's schema: enums are selects, secrets are password inputs, and the
        // jwt-only fields stay hidden for the authorization_code grant.
        expect(await page.locator('#f-config-environment').evaluate((n) => n.tagName)).toBe('SELECT');
        expect(await page.locator('#f-config-grant').inputValue()).toBe('authorization_code');
        expect(await page.locator('#f-secrets-secretKey').getAttribute('type')).toBe('password');
        expect(await page.locator('#f-config-userId').isVisible()).toBe(false);
        expect(await page.locator('#f-secrets-privateKey').isVisible()).toBe(false);
        expect(await page.locator('label[for="f-config-integrationKey"] .required-mark').isVisible()).toBe(
          true,
        );

        // Empty form: one answer lists every problem, each shown beside its field.
        await page.click('#save');
        await page.locator('#problems li').first().waitFor();
        const problems = await page.locator('#problems li').allTextContents();
        expect(problems).toEqual(
          expect.arrayContaining([
            'config.integrationKey: is required',
            'secrets.secretKey: is required for the authorization_code grant',
          ]),
        );
        expect(await page.locator('[data-field="config.integrationKey"] .field-error').textContent()).toBe(
          'is required',
        );
        await page.screenshot({ path: shot(`${width}-docusign-problems`), fullPage: true });

        // Switching to jwt shows its fields.
        await page.selectOption('#f-config-grant', 'jwt');
        expect(await page.locator('#f-secrets-privateKey').isVisible()).toBe(true);
        expect(await page.locator('#f-secrets-secretKey').isVisible()).toBe(false);
        await page.selectOption('#f-config-grant', 'authorization_code');

        await page.fill('#f-config-integrationKey', IK);
        await page.fill('#f-secrets-secretKey', SECRET);
        await page.click('#save');
        await row('docusign').locator('.status', { hasText: 'pending' }).waitFor();
        expect(await message()).toBe('Saved docusign: pending — press Connect to authorize');
        expect(await page.locator('#f-secrets-secretKey').inputValue()).toBe('');
        // Pending: Connect, no "Refresh now" (the API would answer 409).
        expect(await actionsOf('docusign')).toEqual(['Connect', 'Delete']);

        await Promise.all([
          page.waitForURL(`${app.url}/connect/`, { timeout: 20_000 }),
          row('docusign').locator('button[data-action="connect"]').click(),
        ]);
        await row('docusign').locator('.status', { hasText: 'active' }).waitFor();
        expect(await message()).toBe('Connected docusign: active');
        expect(await actionsOf('docusign')).toEqual(['Reconnect', 'Refresh now', 'Delete']);
        expect(await row('docusign').locator('td').nth(3).textContent()).toMatch(/UTC \(in \d+ (min|h)\)/);
        expect(await row('docusign').locator('td').nth(5).textContent()).toMatch(
          /UTC \((just now|\d+ min ago)\)/,
        );
        expect(await row('docusign').locator('td').nth(6).textContent()).toBe('—');
        expect(await page.content()).not.toContain(SECRET);
      });

      it('adds Signicat with client credentials: a refused secret is refused at save, nothing stored, then fixed', async () => {
        await page.selectOption('#provider', 'signicat');
        expect(await page.locator('#f-config-generation').inputValue()).toBe('express');
        await page.fill('#f-config-clientId', SIGNICAT_ID);
        await page.fill('#f-config-scopes', 'document_read document_write');
        await page.fill('#f-secrets-clientSecret', 'a-wrong-secret-value');
        await page.click('#save');
        // Verified on save: Signicat refuses the secret, the API answers 422 and stores nothing.
        await page.locator('#message.error').waitFor();
        expect(await message()).toMatch(
          /signicat refused the credentials saved for tenant .*nothing was changed/,
        );
        expect(await row('signicat').count()).toBe(0);
        expect(await page.content()).not.toContain('a-wrong-secret-value');
        await expectFitsWidth(width);
        await page.screenshot({ path: shot(`${width}-signicat-refused`), fullPage: true });

        await page.fill('#f-config-clientId', SIGNICAT_ID);
        await page.fill('#f-config-scopes', 'document_read document_write');
        await page.fill('#f-secrets-clientSecret', SIGNICAT_SECRET);
        await page.click('#save');
        await page.locator('#message', { hasText: 'Saved signicat: active' }).waitFor();
        await row('signicat').locator('button[data-action="refresh"]').click();
        await page.locator('#message', { hasText: 'Refreshed signicat: active' }).waitFor();
        expect(await row('signicat').locator('td').nth(3).textContent()).toMatch(/UTC \(in \d+ min\)/);
      });

      it('adds DocSpring with its API token', async () => {
        await page.selectOption('#provider', 'docspring');
        expect(await page.locator('#f-config-region').inputValue()).toBe('us');
        await page.fill('#f-config-tokenId', DOCSPRING_ID);
        await page.fill('#f-secrets-tokenSecret', DOCSPRING_SECRET);
        await page.click('#save');
        await row('docspring').locator('.status', { hasText: 'active' }).waitFor();
        expect(await message()).toBe('Saved docspring: active');
        await expectFitsWidth(width);
        const times = await page.locator('#connections td').allTextContents();
        for (const text of times) expect(text).not.toMatch(/in 0 min|0 min ago/);
        await page.screenshot({ path: shot(String(width)), fullPage: true });
        if (width === 1280) await page.screenshot({ path: SCREENSHOT, fullPage: true });
        expect((await stat(shot(String(width)))).size).toBeGreaterThan(10_000);
        const html = await page.content();
        for (const secret of [SECRET, SIGNICAT_SECRET, DOCSPRING_SECRET]) expect(html).not.toContain(secret);
      });
    });
  }

  describe('messages and sign-out', () => {
    beforeAll(async () => {
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('dialog', (dialog) => void dialog.accept());
    });

    it('shows what comes back in the URL as text, never as markup, and each part once', async () => {
      const evil = '<img src=x id=pwned onerror="document.title=1">';
      await page.goto(`${app.url}/connect/?provider=docusign&error=${encodeURIComponent(evil)}`);
      await page.locator('#message.error').waitFor();
      expect(await message()).toContain(evil);
      expect(await page.locator('#pwned').count()).toBe(0);

      const denied = new URLSearchParams({
        provider: 'docusign',
        error: 'access_denied',
        error_description: 'The user denied access',
        message: 'docusign authorization failed: access_denied (The user denied access)',
      });
      await page.goto(`${app.url}/connect/?${denied}`);
      await page.locator('#message.error').waitFor();
      const text = await message();
      expect(text.split('access_denied')).toHaveLength(2);
      expect(text.split('The user denied access')).toHaveLength(2);
    });

    it('deletes a connection after confirmation, and signs out on a refused token', async () => {
      await page.goto(`${app.url}/connect/`);
      await page.fill('#token', ADMIN_TOKEN);
      await page.click('#sign-in');
      await page.fill('#tenant', 'acme-1280');
      await page.click('#load');
      await row('docusign').waitFor();
      await row('docusign').locator('button[data-action="delete"]').click();
      await page.locator('#message', { hasText: 'Deleted docusign' }).waitFor();
      expect(await row('docusign').count()).toBe(0);

      await page.evaluate("sessionStorage.setItem('signingAuthAdminToken', 'wrong')");
      await page.click('#load');
      await page.locator('#sign-in-section').waitFor({ state: 'visible' });
      expect(await message()).toMatch(/refused/);
    });

    it('serves a favicon', async () => {
      const res = await page.request.get(`${app.url}/connect/favicon.svg`);
      expect(res.status()).toBe(200);
      expect(res.headers()['content-type']).toBe('image/svg+xml');
    });
  });
});
