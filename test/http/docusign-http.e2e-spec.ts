import { randomUUID } from 'node:crypto';
import { AxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
import {
  AuthorizationFlowService,
  ConnectionsService,
  SigningAuthHttpService,
  SigningAuthReauthRequiredError,
  SigningAuthScopeError,
  TokenService,
} from 'signing-auth';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { everythingPrintable, rejectionOf, startHttpTestApp, type HttpTestApp } from './http-test-app.js';

const CALLBACK = 'http://localhost:3000/signing-auth/oauth/docusign/callback';
const IK = randomUUID();
const USER = randomUUID();
const ACCOUNT = randomUUID();

describe('SigningAuthHttpService with DocuSign: account base URI, rotating refresh on 401, scope errors', () => {
  let emu: DocuSignEmulator;
  let t: HttpTestApp;
  let http: SigningAuthHttpService;
  let tokens: TokenService;
  const rest = () => emu.requests.filter((r) => r.path.startsWith('/restapi/'));
  const account = { tenantId: 'acme', provider: 'docusign', docusignAccountBase: true };

  beforeAll(async () => {
    emu = await startDocuSignEmulator({
      clients: [{ clientId: IK, secret: 'ds-secret', redirectUris: [CALLBACK] }],
      users: [{ sub: USER, accounts: [{ account_id: ACCOUNT, account_name: 'Acme' }] }], // base_uri: emu.url
    });
    t = await startHttpTestApp({ hosts: { docusignOAuthUrl: emu.url } });
    http = t.app.get(SigningAuthHttpService);
    tokens = t.app.get(TokenService);
    await connect('acme', ['signature', 'extended']);
    await connect('globex', ['signature']);
  });
  afterEach(() => emu.clearFailures());
  afterAll(async () => {
    await t?.close();
    await emu?.close();
  });

  /** Creates the connection and runs the consent flow (the browser leg is a fetch of the emulator's page). */
  async function connect(tenantId: string, scopes: string[]): Promise<void> {
    await t.app.get(ConnectionsService).upsert(tenantId, 'docusign', {
      config: {
        environment: 'demo',
        integrationKey: IK,
        grant: 'authorization_code',
        scopes,
        // globex connects without `extended` on purpose (a missing-scope test).
        ...(scopes.includes('extended') ? {} : { acceptFixedRefreshTokenLifetime: true }),
      },
      secrets: { secretKey: 'ds-secret' },
    });
    const flow = t.app.get(AuthorizationFlowService);
    const { authorizationUrl } = await flow.start(tenantId, 'docusign');
    const res = await fetch(authorizationUrl, { redirect: 'manual' });
    const callback = new URL(res.headers.get('location') ?? '');
    const view = await flow.complete('docusign', Object.fromEntries(callback.searchParams));
    expect(view.metadata).toMatchObject({ accountId: ACCOUNT, baseUri: emu.url });
  }

  it("resolves a relative URL against the account's base URI and account id", async () => {
    const res = await firstValueFrom(http.get('/envelopes?from_date=2026-01-01', { signingAuth: account }));
    expect(res.data).toEqual({ accountId: ACCOUNT, path: '/envelopes', method: 'GET', userId: USER });
    expect(rest().at(-1)!.path).toBe(`/restapi/v2.1/accounts/${ACCOUNT}/envelopes`);
    expect(rest().at(-1)!.query.from_date).toBe('2026-01-01');

    // POST with a body, and an absolute URL, which is left alone.
    const posted = await firstValueFrom(http.post('envelopes', { status: 'sent' }, { signingAuth: account }));
    expect(posted.data.method).toBe('POST');
    expect(rest().at(-1)!.body).toEqual({ status: 'sent' });
    const absolute = `${emu.url}/restapi/v2.1/accounts/${ACCOUNT}/folders`;
    expect((await firstValueFrom(http.get(absolute, { signingAuth: account }))).data.path).toBe('/folders');
  });

  it('401 → refresh with the rotating refresh token → retry → 200, the rotated token stored once', async () => {
    const before = await tokens.getAccessToken('acme', 'docusign');
    const refreshes = emu.stats.tokenRequests.refresh_token ?? 0;
    emu.failNext(
      {
        status: 401,
        body: { errorCode: 'USER_AUTHENTICATION_FAILED', message: 'Invalid access token' },
      },
      1,
      (r) => r.path.startsWith('/restapi/'),
    );
    const res = await firstValueFrom(
      http.post('/envelopes', { status: 'created' }, { signingAuth: account }),
    );
    expect(res.status).toBe(200);
    expect(rest().at(-1)!.body).toEqual({ status: 'created' }); // the retry re-sent the body
    expect((emu.stats.tokenRequests.refresh_token ?? 0) - refreshes).toBe(1);
    expect(emu.stats.reuseDetections).toBe(0);
    const after = await tokens.getAccessToken('acme', 'docusign');
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(rest().at(-1)!.headers.authorization).toBe(`Bearer ${after.accessToken}`);
  });

  it('403 → SigningAuthScopeError with the scopes the connection holds', async () => {
    const error = await rejectionOf(() =>
      firstValueFrom(http.get('/admin-only', { signingAuth: { ...account, tenantId: 'globex' } })),
    );
    expect(error).toBeInstanceOf(SigningAuthScopeError);
    expect(error).toMatchObject({
      tenantId: 'globex',
      provider: 'docusign',
      grantedScopes: ['signature'],
      request: `GET ${emu.url}/restapi/v2.1/accounts/${ACCOUNT}/admin-only`,
      response: { status: 403, data: { errorCode: 'INSUFFICIENT_SCOPE' } },
    });
  });

  it('a 401 whose refresh finds the grant revoked throws SigningAuthReauthRequiredError; later calls stay home', async () => {
    const { accessToken } = await tokens.getAccessToken('acme', 'docusign');
    emu.revokeToken(accessToken); // revokes the whole grant, refresh token included
    const error = await rejectionOf(() => firstValueFrom(http.get('/envelopes', { signingAuth: account })));
    expect(error).toBeInstanceOf(SigningAuthReauthRequiredError);
    expect(error).toMatchObject({ tenantId: 'acme', provider: 'docusign' });
    expect(everythingPrintable(error)).not.toContain(accessToken);

    const sent = emu.stats.requests;
    const again = await rejectionOf(() => firstValueFrom(http.get('/envelopes', { signingAuth: account })));
    expect(again).toBeInstanceOf(SigningAuthReauthRequiredError);
    expect(again).not.toBeInstanceOf(AxiosError);
    expect(emu.stats.requests).toBe(sent);
  });
});
