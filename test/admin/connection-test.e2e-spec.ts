import { randomUUID } from 'node:crypto';
import { TokenService } from 'signing-auth';
import {
  startDocSpringEmulator,
  startDocuSignEmulator,
  startFormstackSignEmulator,
  startOAuth2Emulator,
  startSignicatEmulator,
  type DocSpringEmulator,
  type DocuSignEmulator,
  type FormstackSignEmulator,
  type OAuth2Emulator,
  type SignicatEmulator,
} from '../emulators/index.js';
import { freePort } from '../support/app-process.js';
import { rsaKeyPair } from '../providers/strategy-test-kit.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';

/** The answer of `POST .../test` (docs/reference/admin-api.md): the page codes against exactly this shape. */
interface TestAnswer {
  ok: boolean;
  message: string;
  checkedAt: string;
  connection: {
    status: string;
    lastError: string | null;
    lastRefreshedAt: string | null;
    accessTokenExpiresAt: string | null;
  };
}

const DSP_SECRET = `dsp-${randomUUID()}`;
const SIG_SECRET = `sig-${randomUUID()}`;
const FS_SECRET = `fs-${randomUUID()}`;
const O2_SECRET = `o2-${randomUUID()}`;
const IK = randomUUID();
const USER = randomUUID();
const ACCOUNT = randomUUID();

/**
 * `POST {prefix}/tenants/:tenantId/connections/:provider/test`: one cheap authenticated call per provider,
 * against each emulator. Always 200 `{ ok, message, checkedAt, connection }`; the stored grant is left alone
 * unless the provider says it is gone (then needs_reauth); transient failures change nothing.
 */
describe('test connection (admin API)', () => {
  const keys = rsaKeyPair();
  let dsp: DocSpringEmulator;
  let ds: DocuSignEmulator;
  let sig: SignicatEmulator;
  let fs: FormstackSignEmulator;
  let o2: OAuth2Emulator;
  let t: AdminTestApp;

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    dsp = await startDocSpringEmulator({ apiTokens: [{ id: 'tok_1', secret: DSP_SECRET }] });
    ds = await startDocuSignEmulator({
      clients: [{ clientId: IK, publicKey: keys.publicKey, redirectUris: [] }],
      users: [
        {
          sub: USER,
          accounts: [{ account_id: ACCOUNT, account_name: 'Acme', base_uri: 'https://demo.docusign.net' }],
        },
      ],
    });
    ds.grantConsent(IK, USER);
    sig = await startSignicatEmulator({
      clients: [{ clientId: 'sig', secret: SIG_SECRET, generation: 'express', scopes: ['document_read'] }],
    });
    fs = await startFormstackSignEmulator({ clients: [{ clientId: 'fs', secret: FS_SECRET }] });
    o2 = await startOAuth2Emulator({
      clients: [
        {
          clientId: 'o2',
          secret: O2_SECRET,
          redirectUris: [`${publicUrl}/signing-auth/oauth/oauth2/callback`],
        },
      ],
    });
    t = await startAdminApp(
      {
        publicUrl,
        hosts: {
          docspringApiUrl: dsp.url,
          docusignOAuthUrl: ds.url,
          signicatUrl: sig.url,
          formstackAuthUrl: fs.url,
        },
        sweep: { enabled: false },
      },
      [],
      port,
    );
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([dsp?.close(), ds?.close(), sig?.close(), fs?.close(), o2?.close()]);
  });

  const call = async (method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN) => {
    const res = await fetch(`${t.baseUrl}/signing-auth/${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as TestAnswer & { message: string } };
  };
  const save = async (tenant: string, provider: string, body: unknown) => {
    const res = await call('PUT', `tenants/${tenant}/connections/${provider}`, body);
    expect(res.status).toBe(200);
    return res.body as unknown as TestAnswer['connection'];
  };
  const test = async (tenant: string, provider: string) => {
    const started = Date.now();
    const res = await call('POST', `tenants/${tenant}/connections/${provider}/test`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['checkedAt', 'connection', 'message', 'ok']);
    expect(Date.parse(res.body.checkedAt)).toBeGreaterThanOrEqual(started - 1000);
    return res.body;
  };
  const token = (tenant: string, provider: string) =>
    t.app.get(TokenService).getAccessToken(tenant, provider);

  it('DocSpring: GET /api/v1/authentication; an outage changes nothing; a refused token → needs_reauth', async () => {
    await save('acme', 'docspring', {
      config: { region: 'us', tokenId: 'tok_1' },
      secrets: { tokenSecret: DSP_SECRET },
    });
    const before = dsp.requests.length;
    const ok = await test('acme', 'docspring');
    expect(ok).toMatchObject({ ok: true, connection: { status: 'active' } });
    expect(ok.message).toMatch(/DocSpring accepted API token tok_1/);
    expect(dsp.requests.slice(before).map((r) => r.path)).toEqual(['/api/v1/authentication']);

    dsp.failNext({ status: 503 });
    const down = await test('acme', 'docspring');
    expect(down).toMatchObject({ ok: false, connection: { status: 'active', lastError: null } });
    expect(down.message).toMatch(/503/);

    dsp.addApiToken({ id: 'tok_1', secret: 'rotated-at-docspring' }); // the stored secret is gone
    const refused = await test('acme', 'docspring');
    expect(refused).toMatchObject({ ok: false, connection: { status: 'needs_reauth' } });
    expect(refused.message).toMatch(/Invalid API token secret/);
    expect(JSON.stringify(refused)).not.toContain(DSP_SECRET);
    dsp.addApiToken({ id: 'tok_1', secret: DSP_SECRET });
  });

  it('DocuSign (JWT): userinfo with the served token; a 401 gets one new token and one more try', async () => {
    await save('acme', 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: USER },
      secrets: { privateKey: keys.privateKey },
    });
    const userinfo = ds.stats.userinfoRequests;
    const ok = await test('acme', 'docusign');
    expect(ok).toMatchObject({ ok: true, connection: { status: 'active' } });
    expect(ok.message).toContain(`account ${ACCOUNT} (Acme)`);
    expect(ds.stats.userinfoRequests).toBe(userinfo + 1);

    const stale = (await token('acme', 'docusign')).accessToken;
    ds.revokeToken(stale);
    const jwtGrants = ds.stats.tokenRequests['urn:ietf:params:oauth:grant-type:jwt-bearer'] ?? 0;
    const retried = await test('acme', 'docusign');
    expect(retried).toMatchObject({ ok: true, connection: { status: 'active' } });
    expect(ds.stats.userinfoRequests).toBe(userinfo + 3);
    expect(ds.stats.tokenRequests['urn:ietf:params:oauth:grant-type:jwt-bearer']).toBe(jwtGrants + 1);
    expect((await token('acme', 'docusign')).accessToken).not.toBe(stale);
  });

  it('Signicat and Formstack Sign (client credentials): a token request, the stored token unchanged', async () => {
    const before = await save('acme', 'signicat', {
      config: { clientId: 'sig', generation: 'express', scopes: ['document_read'] },
      secrets: { clientSecret: SIG_SECRET },
    });
    const stored = (await token('acme', 'signicat')).accessToken;
    const requests = sig.stats.tokenRequests;
    const ok = await test('acme', 'signicat');
    expect(ok).toMatchObject({
      ok: true,
      connection: { status: 'active', lastRefreshedAt: before.lastRefreshedAt },
    });
    expect(ok.message).toMatch(/issued a token for the stored client credentials/);
    expect(sig.stats.tokenRequests).toBe(requests + 1);
    expect((await token('acme', 'signicat')).accessToken).toBe(stored);

    sig.failNext({ status: 400, body: { error: 'invalid_client' } });
    const refused = await test('acme', 'signicat');
    expect(refused).toMatchObject({ ok: false, connection: { status: 'needs_reauth' } });
    expect(refused.message).toMatch(/invalid_client/);

    await save('acme', 'formstack-sign', {
      config: { clientId: 'fs', grant: 'client_credentials' },
      secrets: { clientSecret: FS_SECRET },
    });
    const fsBefore = fs.stats.tokenRequests.client_credentials ?? 0;
    expect(await test('acme', 'formstack-sign')).toMatchObject({
      ok: true,
      connection: { status: 'active' },
    });
    expect(fs.stats.tokenRequests.client_credentials).toBe(fsBefore + 1);
  });

  it('OAuth 2.0 code grant (rotating refresh tokens): a refresh under the lease, its answer stored', async () => {
    await save('acme', 'oauth2', {
      config: {
        grant: 'authorization_code',
        authorizationUrl: o2.authorizationUrl,
        tokenUrl: o2.tokenUrl,
        clientId: 'o2',
      },
      secrets: { clientSecret: O2_SECRET },
    });
    const pending = await test('acme', 'oauth2');
    expect(pending).toMatchObject({ ok: false, connection: { status: 'pending' } });
    expect(pending.message).toMatch(/consent/);
    expect(o2.stats.tokenRequests.refresh_token ?? 0).toBe(0);

    const started = await call('POST', 'tenants/acme/connections/oauth2/authorize');
    const approved = await fetch((started.body as unknown as { authorizationUrl: string }).authorizationUrl, {
      redirect: 'manual',
    });
    const callback = new URL(approved.headers.get('location')!);
    const done = await fetch(`${t.baseUrl}${callback.pathname}${callback.search}`, {
      headers: { accept: 'application/json' },
    });
    expect(done.status).toBe(200);

    const ok = await test('acme', 'oauth2');
    expect(ok).toMatchObject({ ok: true, connection: { status: 'active' } });
    expect(o2.stats.tokenRequests.refresh_token).toBe(1);
    // The rotated refresh token was stored: a second test refreshes again without a reuse detection.
    expect(await test('acme', 'oauth2')).toMatchObject({ ok: true });
    expect(o2.stats.reuseDetections).toBe(0);
  });

  it('answers 404 for a missing connection, 400 for an unknown provider, 401 without the admin token', async () => {
    expect((await call('POST', 'tenants/nobody/connections/docspring/test')).status).toBe(404);
    const unknown = await call('POST', 'tenants/acme/connections/nope/test');
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/docspring/);
    expect((await call('POST', 'tenants/acme/connections/docspring/test', undefined, null)).status).toBe(401);
  });
});
