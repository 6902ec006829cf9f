import { randomUUID } from 'node:crypto';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { freePort } from '../support/app-process.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';

const IK = randomUUID();
const SECRET = `CANARY-binding-secret-${randomUUID()}`;
const USER = randomUUID();
const ACCOUNT = randomUUID();

describe('OAuth callback bound to the browser that started the flow', () => {
  let t: AdminTestApp;
  let docusign: DocuSignEmulator;

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    docusign = await startDocuSignEmulator({
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
    t = await startAdminApp({ publicUrl, hosts: { docusignOAuthUrl: docusign.url } }, [], port);
  });
  afterAll(async () => {
    await t?.close();
    await docusign?.close();
  });

  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  async function createConnection(tenant: string): Promise<void> {
    const res = await fetch(`${t.baseUrl}/signing-auth/tenants/${tenant}/connections/docusign`, {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code' },
        secrets: { secretKey: SECRET },
      }),
    });
    expect(res.status).toBe(200);
  }

  /** `POST …/authorize` as the Connect page (a same-origin browser fetch) or an API client sends it. */
  async function authorize(tenant: string, headers: Record<string, string> = {}, query = '') {
    const res = await fetch(
      `${t.baseUrl}/signing-auth/tenants/${tenant}/connections/docusign/authorize${query}`,
      {
        method: 'POST',
        headers: { ...admin, ...headers },
      },
    );
    expect(res.status).toBe(200);
    const { authorizationUrl } = (await res.json()) as { authorizationUrl: string };
    return { authorizationUrl, setCookie: res.headers.get('set-cookie') };
  }

  /** The user consents at the provider; returns the callback URL the provider redirects to. */
  async function consent(authorizationUrl: string): Promise<string> {
    const res = await fetch(authorizationUrl, { redirect: 'manual' });
    return res.headers.get('location') ?? '';
  }

  const callback = async (url: string, cookie?: string) => {
    const res = await fetch(url, { headers: { accept: 'application/json', ...(cookie ? { cookie } : {}) } });
    return { status: res.status, body: (await res.json()) as { status?: string; message?: string } };
  };

  it('a flow started from the Connect page sets a short-lived HttpOnly SameSite=Lax cookie on the callback path', async () => {
    await createConnection('acme');
    const { setCookie } = await authorize('acme', {
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'cors',
    });
    expect(setCookie).toMatch(/^signing_auth_flow_[0-9a-f]{16}=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/; Max-Age=600;/);
    expect(setCookie).toMatch(/; Path=\/signing-auth\/oauth\/docusign\/callback;/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
  });

  it('a forwarded authorization link completed in another browser is refused; the starting browser can still finish', async () => {
    await createConnection('globex');
    const { authorizationUrl, setCookie } = await authorize('globex', { 'sec-fetch-site': 'same-origin' });
    const cookie = setCookie!.split(';')[0]!;
    const back = await consent(authorizationUrl);

    const victim = await callback(back); // someone else's browser: no cookie
    expect(victim.status).toBe(400);
    expect(victim.body.message).toMatch(/started in another browser/);
    const stolenCookieOfAnotherFlow = (await authorize('globex', { 'sec-fetch-site': 'same-origin' }))
      .setCookie!;
    const wrongCookie = `${cookie.split('=')[0]}=${stolenCookieOfAnotherFlow.split(';')[0]!.split('=')[1]}`;
    expect((await callback(back, wrongCookie)).status).toBe(400);

    const starter = await callback(back, cookie);
    expect(starter.status).toBe(200);
    expect(starter.body.status).toBe('active');
  });

  it('API-started flows (no browser headers) keep working without a cookie', async () => {
    await createConnection('initech');
    const { authorizationUrl, setCookie } = await authorize('initech');
    expect(setCookie).toBeNull();
    const done = await callback(await consent(authorizationUrl));
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('active');
  });

  it('bindBrowser=true / false overrides the default', async () => {
    await createConnection('hooli');
    const bound = await authorize('hooli', {}, '?bindBrowser=true');
    expect(bound.setCookie).toMatch(/^signing_auth_flow_/);
    expect((await callback(await consent(bound.authorizationUrl))).status).toBe(400);
    const unbound = await authorize('hooli', { 'sec-fetch-site': 'same-origin' }, '?bindBrowser=false');
    expect(unbound.setCookie).toBeNull();
    expect((await callback(await consent(unbound.authorizationUrl))).status).toBe(200);
    const bad = await fetch(
      `${t.baseUrl}/signing-auth/tenants/hooli/connections/docusign/authorize?bindBrowser=maybe`,
      {
        method: 'POST',
        headers: admin,
      },
    );
    expect(bad.status).toBe(400);
  });
});
