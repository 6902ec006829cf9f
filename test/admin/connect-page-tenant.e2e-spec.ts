import { createServer, type Server } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { freePort } from '../support/app-process.js';
import {
  CREDENTIALS,
  createConnectSession,
  describeWithBrowser,
  expectFitsWidth,
  expectOutcomeInView,
  shot,
  startPageHarness,
  type PageHarness,
} from './connect-page-harness.js';

const { adminToken, docusign, docspring } = CREDENTIALS;

/**
 * A tiny host app on another origin: its settings page opens the Connect page as a popup and records every
 * message it receives (origin and data).
 */
const HOST_PAGE = `<!doctype html><html><body><h1>Host settings</h1><script>
  window.received = [];
  window.addEventListener('message', (event) => window.received.push({ origin: event.origin, data: event.data }));
  window.openConnect = (url) => { window.popup = window.open(url, 'connect', 'width=480,height=800'); };
</script></body></html>`;

/**
 * The Connect page in tenant mode: a host's backend creates a connect session with the admin API and hands
 * `connectUrl` to its customer, who connects their own DocuSign account, in the page or in a popup.
 */
describeWithBrowser('Connect page in a real browser: tenant mode (connect sessions)', () => {
  let harness: PageHarness;
  let host: Server;
  let hostUrl: string;
  let context: BrowserContext;
  let page: Page;
  /** Every session token handed out here: none may ever reach the app's log. */
  const tokens: string[] = [];

  beforeAll(async () => {
    const hostPort = await freePort();
    hostUrl = `http://127.0.0.1:${hostPort}`;
    host = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(HOST_PAGE));
    await new Promise<void>((done) => host.listen(hostPort, '127.0.0.1', done));
    harness = await startPageHarness({ SIGNING_AUTH_CONNECT_RETURN_ORIGINS: hostUrl });
  }, 150_000);

  afterAll(async () => {
    await harness?.close();
    await new Promise((done) => host?.close(done));
  });

  async function session(tenantId: string, body: Record<string, unknown>) {
    const created = await createConnectSession(harness.app, tenantId, body);
    tokens.push(created.token);
    return created;
  }

  const row = (provider: string) => page.locator(`#connections tbody tr[data-provider="${provider}"]`);
  const visible = (selector: string) => page.locator(selector).isVisible();
  const pageUrl = () => `${harness.app.url}/signing-auth/connect/`;

  for (const width of [1280, 390]) {
    describe(`at ${width} px`, () => {
      const tenantId = `tenant-${width}`;
      let created: { token: string; connectUrl: string };

      beforeAll(async () => {
        context = await harness.browser.newContext({ viewport: { width, height: 900 } });
        page = await context.newPage();
        page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      });

      afterAll(async () => {
        await context?.close();
      });

      it('opens connectUrl: the token leaves the address bar, only this tenant and its providers, no admin wording', async () => {
        created = await session(tenantId, { providers: ['docusign'], returnUrl: `${hostUrl}/settings` });
        expect(created.connectUrl).toBe(`${pageUrl()}#session=${created.token}`);
        await page.goto(created.connectUrl);
        await page.locator('#workspace').waitFor({ state: 'visible' });
        expect(page.url()).toBe(pageUrl());
        expect(await page.evaluate<string>("sessionStorage.getItem('signingAuthConnectSession')")).toBe(
          created.token,
        );
        expect(await page.locator('h1').textContent()).toBe('Connect your accounts');
        expect(await page.locator('#subtitle').textContent()).toMatch(
          new RegExp(`^For ${tenantId} · this link works until .* UTC \\(in (29|30) min\\)$`),
        );
        for (const operatorOnly of [
          '#tenant-section',
          '#sign-in-section',
          '#connect-link-section',
          '#sign-out',
        ]) {
          expect({ operatorOnly, visible: await visible(operatorOnly) }).toEqual({
            operatorOnly,
            visible: false,
          });
        }
        // signing-auth's operator words (DocuSign's own "eSignature admin" console may be named in help).
        expect(await page.evaluate<string>('document.body.innerText')).not.toMatch(
          /admin token|admin API|tenant id|sign in|sign out|connect link|operator/i,
        );
        expect(await page.locator('#provider option').allTextContents()).toEqual(['DocuSign']);
        const back = page.locator('#return-anchor');
        expect(await back.getAttribute('href')).toBe(`${hostUrl}/settings`);
        expect(await back.textContent()).toBe(`Back to ${new URL(hostUrl).host}`);
        expect(await page.content()).not.toContain(created.token);
      });

      it('saves DocuSign, goes through the consent, comes back and sees it active, then tests it', async () => {
        await page.fill('#f-config-integrationKey', docusign.integrationKey);
        await page.fill('#f-secrets-secretKey', docusign.secretKey);
        await page.click('#save');
        expect(await expectOutcomeInView(page, '#save-outcome', 'warning')).toContain(
          'Saved DocuSign: pending.',
        );
        await Promise.all([
          page.waitForURL(pageUrl(), { timeout: 20_000 }),
          page.locator('#save-outcome button', { hasText: 'Connect DocuSign' }).click(),
        ]);
        await row('docusign').locator('.status', { hasText: 'active' }).waitFor();
        expect(await expectOutcomeInView(page, '#message', 'success')).toBe('Connected DocuSign: active');
        // The session does not allow deleting.
        expect(
          await row('docusign')
            .locator('button[data-action]')
            .evaluateAll((buttons) => buttons.map((b) => b.textContent)),
        ).toEqual(['Reconnect', 'Test connection', 'Refresh now']);
        await row('docusign').locator('button[data-action="test"]').click();
        expect(
          await expectOutcomeInView(
            page,
            '#connections tr[data-provider="docusign"] .row-outcome',
            'success',
          ),
        ).toMatch(/^DocuSign answered: the connection works\./);
        await expectFitsWidth(page, width);
        await page.evaluate('window.scrollTo(0, 0)');
        await page.screenshot({ path: shot(`tenant-${width}`), fullPage: true });
        expect(await page.content()).not.toContain(created.token);

        // The operator sees the same connection, active, with the admin API.
        const res = await fetch(`${harness.app.url}/signing-auth/tenants/${tenantId}/connections/docusign`, {
          headers: { authorization: `Bearer ${adminToken}` },
        });
        expect(((await res.json()) as { status: string }).status).toBe('active');
      });
    });
  }

  describe('as a popup from the host page', () => {
    beforeAll(async () => {
      context = await harness.browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      await page.goto(`${hostUrl}/settings`);
    });

    afterAll(async () => {
      await context?.close();
    });

    async function openPopup(connectUrl: string): Promise<Page> {
      const [popup] = await Promise.all([
        page.waitForEvent('popup'),
        page.evaluate(`window.openConnect(${JSON.stringify(connectUrl)})`),
      ]);
      await popup.locator('#workspace').waitFor({ state: 'visible' });
      return popup;
    }

    it('posts the outcome to the opener, only at the return URL origin, and closes after consent', async () => {
      const created = await session('tenant-popup', {
        providers: ['docusign'],
        returnUrl: `${hostUrl}/settings`,
      });
      const popup = await openPopup(created.connectUrl);
      // A popup has its opener to go back to: no "Back to" link.
      expect(await popup.locator('#return-link').isVisible()).toBe(false);
      await popup.fill('#f-config-integrationKey', docusign.integrationKey);
      await popup.fill('#f-secrets-secretKey', docusign.secretKey);
      await popup.click('#save');
      await popup.locator('#save-outcome button', { hasText: 'Connect DocuSign' }).waitFor();
      await Promise.all([
        popup.waitForEvent('close', { timeout: 20_000 }),
        popup.locator('#save-outcome button', { hasText: 'Connect DocuSign' }).click(),
      ]);
      expect(await page.evaluate('window.received')).toEqual([
        {
          origin: harness.app.url,
          data: {
            type: 'signing-auth:connect',
            tenantId: 'tenant-popup',
            provider: 'docusign',
            status: 'active',
          },
        },
      ]);
    });

    it('posts nothing without a return URL (no origin to trust) and stays open', async () => {
      await page.evaluate('window.received = []');
      const created = await session('tenant-popup-2', { providers: ['docspring'] });
      const popup = await openPopup(created.connectUrl);
      await popup.fill('#f-config-tokenId', docspring.tokenId);
      await popup.fill('#f-secrets-tokenSecret', docspring.tokenSecret);
      await popup.click('#save');
      expect(await expectOutcomeInView(popup, '#save-outcome', 'success')).toBe(
        'Saved DocSpring: active. It is ready to use.',
      );
      await popup.waitForTimeout(500);
      expect(popup.isClosed()).toBe(false);
      expect(await page.evaluate('window.received')).toEqual([]);
      await popup.close();
    });
  });

  describe('an expired or revoked link', () => {
    it('says so plainly and forgets the token', async () => {
      context = await harness.browser.newContext({ viewport: { width: 390, height: 800 } });
      page = await context.newPage();
      const created = await session('tenant-revoked', { providers: ['docspring'] });
      const revoke = await fetch(`${harness.app.url}/signing-auth/tenants/tenant-revoked/connect-sessions`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(revoke.status).toBe(204);
      await page.goto(created.connectUrl);
      expect(await expectOutcomeInView(page, '#message', 'error')).toBe(
        'This connect link has expired or was revoked. Ask whoever sent it to you for a new one.',
      );
      expect(await visible('#workspace')).toBe(false);
      expect(await page.evaluate("sessionStorage.getItem('signingAuthConnectSession')")).toBeNull();
      await page.screenshot({ path: shot('tenant-expired-390') });
      await context.close();
    });
  });

  it('never writes a session token into the app log', () => {
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    const log = harness.app.output();
    expect(log.length).toBeGreaterThan(100);
    for (const token of tokens) expect(log).not.toContain(token);
  });
});
