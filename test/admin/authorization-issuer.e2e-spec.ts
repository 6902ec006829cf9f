import { startOAuth2Emulator, type OAuth2Emulator } from '../emulators/index.js';
import { freePort } from '../support/app-process.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient } from './admin-client.js';

/**
 * Generic oauth2 tenants share one callback path and the mix-up defence compared only the
 * provider id. RFC 9207: when the authorization response carries `iss`, it is checked against the issuer
 * the connection names (`config.issuer`), or else against the authorization endpoint's origin; a
 * connection that names an issuer requires `iss`. A refused response stores nothing.
 */
describe('RFC 9207 iss on the oauth2 callback', () => {
  let emu: OAuth2Emulator;
  let t: AdminTestApp;
  let api: AdminClient;

  beforeAll(async () => {
    const port = await freePort();
    emu = await startOAuth2Emulator({
      clients: [
        {
          clientId: 'client-1',
          secret: 'client-secret-1',
          redirectUris: [`http://127.0.0.1:${port}/signing-auth/oauth/oauth2/callback`],
        },
      ],
    });
    t = await startAdminApp({ publicUrl: `http://127.0.0.1:${port}`, admin: { rateLimit: false } }, [], port);
    api = new AdminClient(t.baseUrl, ADMIN_TOKEN);
  });
  afterEach(() => emu.sendIssuer(undefined));
  afterAll(async () => {
    await t?.close();
    await emu?.close();
  });

  async function connect(tenant: string, config: Record<string, unknown> = {}) {
    const put = await api.request('PUT', `/signing-auth/tenants/${tenant}/connections/oauth2`, {
      body: {
        config: {
          authorizationUrl: emu.authorizationUrl,
          tokenUrl: emu.tokenUrl,
          clientId: 'client-1',
          grant: 'authorization_code',
          ...config,
        },
        secrets: { clientSecret: 'client-secret-1' },
      },
    });
    expect(put.status).toBe(200);
    const started = await api.request(
      'POST',
      `/signing-auth/tenants/${tenant}/connections/oauth2/authorize?bindBrowser=false`,
    );
    const back = await fetch((started.json as { authorizationUrl: string }).authorizationUrl, {
      redirect: 'manual',
    });
    const callback = new URL(back.headers.get('location') ?? '');
    const res = await api.request('GET', `${callback.pathname}${callback.search}`, {
      authorization: null,
      accept: 'application/json',
    });
    const status = (
      (await api.request('GET', `/signing-auth/tenants/${tenant}/connections/oauth2`)).json as {
        status: string;
      }
    ).status;
    return { res, status, body: res.json as { message: string; errors?: { field: string }[] } };
  }

  it('config.issuer and a matching iss → active', async () => {
    emu.sendIssuer(emu.url);
    const { res, status } = await connect('match', { issuer: emu.url });
    expect(res.status).toBe(200);
    expect(status).toBe('active');
  });

  it("config.issuer and another server's iss → 400 naming iss, nothing stored, the iss not quoted", async () => {
    emu.sendIssuer('https://attacker.example/as');
    const { res, status, body } = await connect('mixup', { issuer: emu.url });
    expect(res.status).toBe(400);
    expect(body.errors?.[0]?.field).toBe('iss');
    expect(body.message).toMatch(/another authorization server/);
    expect(res.text).not.toContain('attacker.example');
    expect(status).toBe('pending');
  });

  it('config.issuer and no iss in the response → refused (the connection says its server sends one)', async () => {
    const { res, status, body } = await connect('silent', { issuer: emu.url });
    expect(res.status).toBe(400);
    expect(body.errors?.[0]?.field).toBe('iss');
    expect(body.message).toMatch(/without the iss/);
    expect(status).toBe('pending');
  });

  it('no config.issuer: an iss of the authorization endpoint origin passes, another origin is refused', async () => {
    emu.sendIssuer(emu.url);
    expect((await connect('same-origin')).status).toBe('active');
    emu.sendIssuer('https://attacker.example');
    const refused = await connect('other-origin');
    expect(refused.res.status).toBe(400);
    expect(refused.status).toBe('pending');
  });

  it('no config.issuer and no iss: as before', async () => {
    expect((await connect('plain')).status).toBe('active');
  });

  it('config.issuer must be a URL (400 naming the field)', async () => {
    const put = await api.request('PUT', '/signing-auth/tenants/bad/connections/oauth2', {
      body: {
        config: { tokenUrl: emu.tokenUrl, clientId: 'c', grant: 'client_credentials', issuer: 'not a url' },
        secrets: { clientSecret: 's' },
      },
    });
    expect(put.status).toBe(400);
    expect((put.json as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(
      'config.issuer',
    );
  });
});
