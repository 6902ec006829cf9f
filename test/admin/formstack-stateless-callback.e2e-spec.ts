import { startFormstackSignEmulator, type FormstackSignEmulator } from '../emulators/index.js';
import { freePort } from '../support/app-process.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';

const SECRET = 'fs-secret-0123456789';

/**
 * Decision 025: Formstack Sign does not document echoing `state` (providers.md §2.2). A callback without
 * it completes the flow that the browser's binding cookie names (a Connect-page flow), with the usual
 * single-use and expiry checks; in another browser (no cookie) it is refused as before; with several of the
 * browser's flows open it is refused, naming the reason.
 */
describe('Formstack Sign callback without an echoed state', () => {
  let t: AdminTestApp;
  let emu: FormstackSignEmulator;

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    emu = await startFormstackSignEmulator({
      echoState: false,
      clients: [
        {
          clientId: 'fs-client',
          secret: SECRET,
          redirectUris: [`${publicUrl}/signing-auth/oauth/formstack-sign/callback`],
        },
      ],
    });
    t = await startAdminApp(
      { publicUrl, hosts: { formstackAuthUrl: emu.url }, admin: { rateLimit: false } },
      [],
      port,
    );
  });
  afterAll(async () => {
    await t?.close();
    await emu?.close();
  });

  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const connectionUrl = (tenant: string) =>
    `${t.baseUrl}/signing-auth/tenants/${tenant}/connections/formstack-sign`;

  async function createConnection(tenant: string): Promise<void> {
    const res = await fetch(connectionUrl(tenant), {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        config: { clientId: 'fs-client', grant: 'authorization_code' },
        secrets: { clientSecret: SECRET },
      }),
    });
    expect(res.status).toBe(200);
  }

  /** The Connect page's `POST …/authorize` (same-origin fetch): returns the link and the cookie it set. */
  async function authorizeFromBrowser(tenant: string): Promise<{ authorizationUrl: string; cookie: string }> {
    const res = await fetch(`${connectionUrl(tenant)}/authorize`, {
      method: 'POST',
      headers: { ...admin, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' },
    });
    expect(res.status).toBe(200);
    const { authorizationUrl } = (await res.json()) as { authorizationUrl: string };
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/^signing_auth_flow_[0-9a-f]{16}=/);
    return { authorizationUrl, cookie };
  }

  /** The user signs in at Formstack, which redirects back with a code and no state. */
  async function consent(authorizationUrl: string): Promise<string> {
    const location = (await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location') ?? '';
    const back = new URL(location);
    expect(back.searchParams.get('code')).toEqual(expect.any(String));
    expect(back.searchParams.get('state')).toBeNull();
    return location;
  }

  const callback = async (url: string, cookie?: string) => {
    const res = await fetch(url, { headers: { accept: 'application/json', ...(cookie ? { cookie } : {}) } });
    return {
      status: res.status,
      setCookie: res.headers.get('set-cookie') ?? '',
      body: (await res.json()) as { status?: string; message?: string },
    };
  };

  const statusOf = async (tenant: string) =>
    ((await (await fetch(connectionUrl(tenant), { headers: admin })).json()) as { status: string }).status;

  it('completes in the browser that started the flow, and fails clearly in another', async () => {
    await createConnection('acme');
    const { authorizationUrl, cookie } = await authorizeFromBrowser('acme');
    const back = await consent(authorizationUrl);

    const elsewhere = await callback(back);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.message).toMatch(/redirected back with a code but without the state/);
    expect(await statusOf('acme')).toBe('pending');

    const here = await callback(back, cookie);
    expect(here.status).toBe(200);
    expect(here.body.status).toBe('active');
    expect(here.setCookie).toMatch(/signing_auth_flow_[0-9a-f]{16}=;/); // the cookie is cleared
    expect(await statusOf('acme')).toBe('active');

    // Single use: the same cookie and a new code do not complete it again.
    const again = await callback(await consent(authorizationUrl), cookie);
    expect(again.status).toBe(409);
  });

  it("a cookie of another tenant's flow cannot be made to name this one (the cookie's name is checked)", async () => {
    await createConnection('forged');
    const { authorizationUrl, cookie } = await authorizeFromBrowser('forged');
    const [name, value] = cookie.split('=') as [string, string];
    const tampered = `${name}=${value.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`;
    const res = await callback(await consent(authorizationUrl), tampered);
    expect(res.status).toBe(400);
    expect(await statusOf('forged')).toBe('pending');
  });

  it('with two flows open in one browser, a state-less callback is refused as ambiguous', async () => {
    await createConnection('one');
    await createConnection('two');
    const first = await authorizeFromBrowser('one');
    const second = await authorizeFromBrowser('two');
    const res = await callback(await consent(first.authorizationUrl), `${first.cookie}; ${second.cookie}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/several connect flows/);
    expect(await statusOf('one')).toBe('pending');
    // Either flow still completes on its own.
    const done = await callback(await consent(second.authorizationUrl), second.cookie);
    expect(done.body.status).toBe('active');
  });

  it("an error link without state quotes only a registered code, never the description, even with the browser's cookie", async () => {
    await createConnection('denied');
    const { cookie } = await authorizeFromBrowser('denied');
    const url = `${t.baseUrl}/signing-auth/oauth/formstack-sign/callback?error=access_denied&error_description=${encodeURIComponent('Go to https://evil.example')}`;
    const res = await callback(url, cookie);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('access_denied');
    expect(res.body.message).not.toContain('evil.example');
  });

  it('only providers that may omit state use the cookie: a docusign callback without state is refused', async () => {
    await createConnection('other-provider');
    const { cookie } = await authorizeFromBrowser('other-provider');
    const res = await callback(`${t.baseUrl}/signing-auth/oauth/docusign/callback?code=c`, cookie);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/without the state/);
    expect(await statusOf('other-provider')).toBe('pending');
  });

  it('when Formstack does echo state, the echoed state is used as before', async () => {
    emu.setEchoState(true);
    try {
      await createConnection('echoing');
      const { authorizationUrl, cookie } = await authorizeFromBrowser('echoing');
      const location = (await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location') ?? '';
      expect(new URL(location).searchParams.get('state')).toEqual(expect.any(String));
      expect((await callback(location, cookie)).body.status).toBe('active');
    } finally {
      emu.setEchoState(false);
    }
  });
});
