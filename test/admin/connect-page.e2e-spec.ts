import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import {
  CREDENTIALS,
  describeWithBrowser,
  expectFitsWidth,
  expectOutcomeInView,
  shot,
  startPageHarness,
  type PageHarness,
} from './connect-page-harness.js';

export const SCREENSHOT = resolve('artifacts/connect-page.png');
const { adminToken, docusign, signicat, docspring } = CREDENTIALS;

/**
 * The Connect page in operator mode, served by the library in the example app: sign in with the admin token,
 * add credentials, Connect, consent, test, refresh, create a connect link for the tenant.
 */
describeWithBrowser('Connect page in a real browser: operator mode', () => {
  let harness: PageHarness;
  let context: BrowserContext;
  let page: Page;
  const pageUrl = () => `${harness.app.url}/signing-auth/connect/`;

  beforeAll(async () => {
    harness = await startPageHarness();
  }, 150_000);

  afterAll(async () => {
    await harness?.close();
  });

  const row = (provider: string) => page.locator(`#connections tbody tr[data-provider="${provider}"]`);
  const actionsOf = async (provider: string) =>
    row(provider)
      .locator('button[data-action]')
      .evaluateAll((buttons) => buttons.map((b) => b.textContent));
  const visible = (selector: string) => page.locator(selector).isVisible();

  async function signIn(tenantId: string): Promise<void> {
    await page.goto(pageUrl());
    // A wrong token is refused at sign-in, beside the button, and the page stays on the sign-in form.
    await page.fill('#token', 'not-the-admin-token');
    await page.click('#sign-in');
    expect(await expectOutcomeInView(page, '#sign-in-outcome', 'error')).toBe(
      'The admin token was refused: check it and sign in again.',
    );
    expect(await visible('#workspace')).toBe(false);

    await page.fill('#token', adminToken);
    await page.click('#sign-in');
    await page.locator('#tenant-section').waitFor({ state: 'visible' });
    await page.fill('#tenant', tenantId);
    await page.click('#load');
    await page.locator('#no-connections').waitFor({ state: 'visible' });
  }

  for (const width of [1280, 390]) {
    describe(`at ${width} px`, () => {
      const tenantId = `acme-${width}`;

      beforeAll(async () => {
        context = await harness.browser.newContext({
          viewport: { width, height: 900 },
          permissions: ['clipboard-read', 'clipboard-write'],
        });
        page = await context.newPage();
        page.on('dialog', (dialog) => void dialog.accept());
        page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      });

      afterAll(async () => {
        await context?.close();
      });

      it('shows each DocuSign field only for its grant, and lists problems by their labels beside Save', async () => {
        await signIn(tenantId);
        await page.selectOption('#provider', 'docusign');
        expect(await page.locator('#f-config-grant').inputValue()).toBe('authorization_code');
        expect(await page.locator('#f-secrets-secretKey').getAttribute('type')).toBe('password');
        // Code grant: no JWT-only field; the fixed-lifetime checkbox belongs to this grant.
        const grantFields = async () => ({
          userId: await visible('#f-config-userId'),
          loginHint: await visible('#f-config-loginHint'),
          consent: await visible('#f-config-consent'),
          fixedLifetime: await visible('#f-config-acceptFixedRefreshTokenLifetime'),
          secretKey: await visible('#f-secrets-secretKey'),
          privateKey: await visible('#f-secrets-privateKey'),
        });
        expect(await grantFields()).toEqual({
          userId: false,
          loginHint: false,
          consent: false,
          fixedLifetime: true,
          secretKey: true,
          privateKey: false,
        });
        await page.selectOption('#f-config-grant', 'jwt');
        expect(await grantFields()).toEqual({
          userId: true,
          loginHint: true,
          consent: true,
          fixedLifetime: false,
          secretKey: false,
          privateKey: true,
        });
        await page.selectOption('#f-config-grant', 'authorization_code');

        // Empty form: every problem at once, by the label the person sees, where they are looking.
        await page.click('#save');
        const text = await expectOutcomeInView(page, '#save-outcome', 'error');
        expect(text).not.toMatch(/config\.|secrets\./);
        expect(await page.locator('#save-outcome li').allTextContents()).toEqual(
          expect.arrayContaining([
            'Integration key: is required',
            'Secret key: is required for the authorization_code grant',
          ]),
        );
        expect(await page.locator('[data-field="config.integrationKey"] .field-error').textContent()).toBe(
          'is required',
        );
        expect(await page.locator('#f-config-integrationKey').getAttribute('aria-invalid')).toBe('true');
        await page.screenshot({ path: shot(`${width}-docusign-problems`), fullPage: false });
        // A label in the summary takes the person to its field.
        await page.locator('#save-outcome a', { hasText: 'Integration key' }).click();
        expect(await page.evaluate<string>('document.activeElement.id')).toBe('f-config-integrationKey');
      });

      it('saves DocuSign, connects from the outcome beside Save, consents, and tests the connection', async () => {
        await page.fill('#f-config-integrationKey', docusign.integrationKey);
        await page.fill('#f-secrets-secretKey', docusign.secretKey);
        await page.click('#save');
        expect(await expectOutcomeInView(page, '#save-outcome', 'warning')).toContain(
          'Saved DocuSign: pending. Next: sign in at DocuSign and consent.',
        );
        expect(await page.locator('#f-secrets-secretKey').inputValue()).toBe('');
        expect(await actionsOf('docusign')).toEqual(['Connect', 'Delete']);

        // The next step is a button right in the outcome.
        await Promise.all([
          page.waitForURL(pageUrl(), { timeout: 20_000 }),
          page.locator('#save-outcome button', { hasText: 'Connect DocuSign' }).click(),
        ]);
        await row('docusign').locator('.status', { hasText: 'active' }).waitFor();
        expect(await expectOutcomeInView(page, '#message', 'success')).toBe('Connected DocuSign: active');
        expect(await actionsOf('docusign')).toEqual([
          'Reconnect',
          'Test connection',
          'Refresh now',
          'Delete',
        ]);
        expect(await row('docusign').locator('td').nth(3).textContent()).toMatch(/UTC \(in \d+ (min|h)\)/);

        await row('docusign').locator('button[data-action="test"]').click();
        const tested = await expectOutcomeInView(
          page,
          '#connections tr[data-provider="docusign"] .row-outcome',
          'success',
        );
        expect(tested).toMatch(/^DocuSign answered: the connection works\./);
        expect(await page.content()).not.toContain(docusign.secretKey);
      });

      it('adds Signicat: a refused secret is reported in red beside Save, nothing stored; then fixed and refreshed', async () => {
        await page.selectOption('#provider', 'signicat');
        await page.fill('#f-config-clientId', signicat.clientId);
        await page.fill('#f-config-scopes', 'document_read document_write');
        await page.fill('#f-secrets-clientSecret', 'a-wrong-secret-value');
        await page.click('#save');
        expect(await expectOutcomeInView(page, '#save-outcome', 'error')).toMatch(
          /^Not saved: signicat refused the credentials saved for tenant .*nothing was changed/,
        );
        expect(await row('signicat').count()).toBe(0);
        expect(await page.content()).not.toContain('a-wrong-secret-value');
        await expectFitsWidth(page, width);
        await page.screenshot({ path: shot(`${width}-signicat-refused`), fullPage: false });

        await page.fill('#f-config-clientId', signicat.clientId);
        await page.fill('#f-config-scopes', 'document_read document_write');
        await page.fill('#f-secrets-clientSecret', signicat.clientSecret);
        await page.click('#save');
        expect(await expectOutcomeInView(page, '#save-outcome', 'success')).toBe(
          'Saved Signicat: active. It is ready to use.',
        );
        await row('signicat').locator('button[data-action="refresh"]').click();
        expect(
          await expectOutcomeInView(
            page,
            '#connections tr[data-provider="signicat"] .row-outcome',
            'success',
          ),
        ).toBe('Refreshed Signicat: active');
      });

      it('adds DocSpring with its API token', async () => {
        await page.selectOption('#provider', 'docspring');
        await page.fill('#f-config-tokenId', docspring.tokenId);
        await page.fill('#f-secrets-tokenSecret', docspring.tokenSecret);
        await page.click('#save');
        expect(await expectOutcomeInView(page, '#save-outcome', 'success')).toBe(
          'Saved DocSpring: active. It is ready to use.',
        );
        await expectFitsWidth(page, width);
        for (const text of await page.locator('#connections td').allTextContents()) {
          expect(text).not.toMatch(/in 0 min|0 min ago/);
        }
        await page.evaluate('window.scrollTo(0, 0)');
        await page.screenshot({ path: shot(String(width)), fullPage: true });
        if (width === 1280) await page.screenshot({ path: SCREENSHOT, fullPage: true });
        expect((await stat(shot(String(width)))).size).toBeGreaterThan(10_000);
        const html = await page.content();
        for (const secret of [docusign.secretKey, signicat.clientSecret, docspring.tokenSecret]) {
          expect(html).not.toContain(secret);
        }
      });

      it('labels every OAuth 2.0 field in words with help, and shows the code-grant fields only for it', async () => {
        await page.selectOption('#provider', 'oauth2');
        const labels = await page
          .locator('#credentials-form .field:not([hidden]) label')
          .evaluateAll((nodes) => nodes.map((n) => (n.textContent ?? '').replace(/\s*\*$/, '').trim()));
        expect(labels).toEqual(expect.arrayContaining(['API base URLs', 'Token URL', 'Client id', 'PKCE']));
        for (const label of labels) expect(label).not.toMatch(/^[a-z]+[A-Z]\w*$/); // no raw keys like apiBaseUrls
        const withoutHelp = await page
          .locator('#credentials-form .field')
          .evaluateAll((nodes) =>
            nodes.filter((n) => !n.querySelector('.hint')).map((n) => n.getAttribute('data-field')),
          );
        expect(withoutHelp).toEqual([]);
        await page.selectOption('#f-config-grant', 'client_credentials');
        expect(await visible('#f-config-pkce')).toBe(false);
        expect(await visible('#f-config-authorizationUrl')).toBe(false);
        expect(await visible('#f-config-apiBaseUrls')).toBe(true);
      });

      it('creates a connect link for the tenant and copies it', async () => {
        await page.check('#link-provider-docspring');
        await page.click('#create-link');
        await page.locator('#link-output').waitFor({ state: 'visible' });
        const link = await page.locator('#connect-link').inputValue();
        expect(link).toMatch(
          new RegExp(`^${harness.app.url.replace(/[.]/g, '\\.')}/signing-auth/connect/#session=\\S{20,}$`),
        );
        expect(await page.locator('#connect-link-help').textContent()).toContain(
          `for tenant ${tenantId} (docspring)`,
        );
        await page.click('#copy-link');
        await page.locator('#link-outcome', { hasText: 'Copied the connect link.' }).waitFor();
        expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(link);
        await page.screenshot({ path: shot(`${width}-connect-link`), fullPage: false });
      });
    });
  }

  describe('messages and sign-out', () => {
    beforeAll(async () => {
      context = await harness.browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      page.on('dialog', (dialog) => void dialog.accept());
    });

    afterAll(async () => {
      await context?.close();
    });

    it('shows what comes back in the URL as text, never as markup, in red, and each part once', async () => {
      const evil = '<img src=x id=pwned onerror="document.title=1">';
      await page.goto(`${pageUrl()}?provider=docusign&error=${encodeURIComponent(evil)}`);
      expect(await expectOutcomeInView(page, '#message', 'error')).toContain(evil);
      expect(await page.locator('#pwned').count()).toBe(0);
      // The outcome left the address bar: a reload does not show it again.
      expect(page.url()).toBe(pageUrl());

      const denied = new URLSearchParams({
        provider: 'docusign',
        error: 'access_denied',
        error_description: 'The user denied access',
        message: 'docusign authorization failed: access_denied (The user denied access)',
      });
      await page.goto(`${pageUrl()}?${denied}`);
      const text = await expectOutcomeInView(page, '#message', 'error');
      expect(text.split('access_denied')).toHaveLength(2);
      expect(text.split('The user denied access')).toHaveLength(2);
    });

    it('deletes a connection after confirmation, and signs out on a refused token', async () => {
      await page.goto(pageUrl());
      await page.fill('#token', adminToken);
      await page.click('#sign-in');
      await page.fill('#tenant', 'acme-1280');
      await page.click('#load');
      await row('docusign').waitFor();
      await row('docusign').locator('button[data-action="delete"]').click();
      expect(await expectOutcomeInView(page, '#table-outcome', 'success')).toBe(
        'Deleted the DocuSign connection.',
      );
      expect(await row('docusign').count()).toBe(0);

      await page.evaluate("sessionStorage.setItem('signingAuthAdminToken', 'wrong')");
      await page.click('#load');
      await page.locator('#sign-in-section').waitFor({ state: 'visible' });
      expect(await expectOutcomeInView(page, '#sign-in-outcome', 'error')).toMatch(/refused/);
    });

    it('serves a favicon', async () => {
      const res = await page.request.get(`${pageUrl()}favicon.svg`);
      expect(res.status()).toBe(200);
      expect(res.headers()['content-type']).toBe('image/svg+xml');
    });
  });
});
