import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { freePort, startApp, type AppProcess } from '../support/app-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT = resolve('artifacts/connect-page.png');
const ADMIN_TOKEN = randomBytes(18).toString('base64url');
const IK = randomUUID();
const SECRET = `CANARY-page-secret-${randomUUID()}`;
const USER = randomUUID();
const ACCOUNT = randomUUID();

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
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await emu?.close();
    await db?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const row = (provider: string) => page.locator(`#connections tbody tr[data-provider="${provider}"]`);

  it('connects a DocuSign account: sign in, add credentials, Connect, consent, back to an active connection', async () => {
    await page.goto(`${app.url}/connect`);
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#sign-in');
    await page.fill('#tenant', 'acme');
    await page.click('#load');
    await page.locator('#no-connections').waitFor({ state: 'visible' });

    await page.selectOption('#provider', 'docusign');
    await page.fill(
      '#config',
      JSON.stringify({ environment: 'demo', integrationKey: IK, grant: 'authorization_code' }),
    );
    await page.fill('#secrets', JSON.stringify({ secretKey: SECRET }));
    await page.click('#save');
    await row('docusign').locator('.status', { hasText: 'pending' }).waitFor();
    expect(await page.locator('#message').textContent()).toMatch(/Saved docusign: pending/);

    // Connect: the page asks for an authorization URL and navigates there; the emulator consents and
    // redirects to the callback, which redirects back to the page.
    await Promise.all([
      page.waitForURL(`${app.url}/connect/`, { timeout: 20_000 }),
      row('docusign').locator('button[data-action="connect"]').click(),
    ]);
    await row('docusign').locator('.status', { hasText: 'active' }).waitFor();
    expect(await page.locator('#message').textContent()).toBe('Connected docusign: active');
    expect(await row('docusign').locator('td').nth(3).textContent()).toMatch(/UTC \(in \d+ (min|h)\)/);
    expect(await row('docusign').locator('td').nth(6).textContent()).toBe('—');
    expect(await page.content()).not.toContain(SECRET);

    await mkdir(resolve('artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
  });

  it('shows what comes back in the URL as text, never as markup', async () => {
    const evil = '<img src=x id=pwned onerror="document.title=1">';
    await page.goto(`${app.url}/connect/?provider=docusign&error=${encodeURIComponent(evil)}`);
    await page.locator('#message.error').waitFor();
    expect(await page.locator('#message').textContent()).toContain(evil);
    expect(await page.locator('#pwned').count()).toBe(0);
  });

  it('deletes a connection after confirmation, and signs out on a refused token', async () => {
    await page.goto(`${app.url}/connect/`);
    await row('docusign').waitFor();
    await row('docusign').locator('button[data-action="delete"]').click();
    await page.locator('#no-connections').waitFor({ state: 'visible' });
    expect(await page.locator('#message').textContent()).toBe('Deleted docusign');

    await page.evaluate("sessionStorage.setItem('signingAuthAdminToken', 'wrong')");
    await page.click('#load');
    await page.locator('#sign-in-section').waitFor({ state: 'visible' });
    expect(await page.locator('#message').textContent()).toMatch(/refused/);
  });
});
