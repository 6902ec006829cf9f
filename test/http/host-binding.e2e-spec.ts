import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import {
  AuthorizationFlowService,
  ConnectionsService,
  SigningAuthHostError,
  SigningAuthHttpService,
  TokenService,
} from 'signing-auth';
import {
  startDocSpringEmulator,
  startDocuSignEmulator,
  startOAuth2Emulator,
  type DocSpringEmulator,
  type DocuSignEmulator,
  type OAuth2Emulator,
} from '../emulators/index.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { everythingPrintable, rejectionOf, startHttpTestApp, type HttpTestApp } from './http-test-app.js';

const CALLBACK = 'http://localhost:3000/signing-auth/oauth/docusign/callback';
const IK = randomUUID();
const USER = randomUUID();
const ACCOUNT = randomUUID();

describe('Host-bound signing: credentials go only where the connection says', () => {
  let docusign: DocuSignEmulator;
  let oauth: OAuth2Emulator;
  let docspring: DocSpringEmulator;
  /** Somebody else's host: whatever reaches it has leaked. */
  let foreign: RecordingServer;
  /** An allowed API host that redirects to the foreign one (or to itself). */
  let api: RecordingServer;
  /** A proxy the operator allows with http.allowedHosts. */
  let proxy: RecordingServer;
  let t: HttpTestApp;
  let http: SigningAuthHttpService;
  let acmeToken: string;

  beforeAll(async () => {
    docusign = await startDocuSignEmulator({
      clients: [{ clientId: IK, secret: 'ds-secret', redirectUris: [CALLBACK] }],
      users: [{ sub: USER, accounts: [{ account_id: ACCOUNT, account_name: 'Acme' }] }],
    });
    oauth = await startOAuth2Emulator({
      clients: [{ clientId: 'client-acme', secret: 'acme-secret', allowedScopes: ['read'] }],
    });
    docspring = await startDocSpringEmulator({ apiTokens: [{ id: 'tok_acme', secret: 'ds-secret' }] });
    foreign = await startRecordingServer();
    proxy = await startRecordingServer();
    api = await startRecordingServer((req, res) => {
      if (req.url === '/to-foreign') res.writeHead(302, { location: `${foreign.url}/landed` }).end();
      else if (req.url === '/to-self') res.writeHead(302, { location: '/landed' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    t = await startHttpTestApp({
      hosts: { docusignOAuthUrl: docusign.url, docspringApiUrl: docspring.url },
      http: { allowedHosts: { docusign: [proxy.url] } },
    });
    http = t.app.get(SigningAuthHttpService);
    const connections = t.app.get(ConnectionsService);
    await connections.upsert('acme', 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code' },
      secrets: { secretKey: 'ds-secret' },
    });
    const flow = t.app.get(AuthorizationFlowService);
    const { authorizationUrl } = await flow.start('acme', 'docusign');
    const res = await fetch(authorizationUrl, { redirect: 'manual' });
    await flow.complete(
      'docusign',
      Object.fromEntries(new URL(res.headers.get('location') ?? '').searchParams),
    );
    acmeToken = (await t.app.get(TokenService).getAccessToken('acme', 'docusign')).accessToken;
    await connections.upsert('acme', 'oauth2', {
      config: {
        tokenUrl: oauth.tokenUrl,
        apiBaseUrls: [api.url],
        clientId: 'client-acme',
        grant: 'client_credentials',
        scopes: ['read'],
      },
      secrets: { clientSecret: 'acme-secret' },
    });
    await connections.upsert('globex', 'oauth2', {
      config: { tokenUrl: oauth.tokenUrl, clientId: 'client-acme', grant: 'client_credentials' },
      secrets: { clientSecret: 'acme-secret' },
    });
    await connections.upsert('acme', 'docspring', {
      config: { region: 'us', tokenId: 'tok_acme' },
      secrets: { tokenSecret: 'ds-secret' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([docusign, oauth, docspring, foreign, api, proxy].map((s) => s?.close()));
  });

  const docusignAccount = { tenantId: 'acme', provider: 'docusign' };

  it('refuses an absolute URL to a foreign host before sending, with a typed error naming tenant, provider and host', async () => {
    for (const signingAuth of [docusignAccount, { ...docusignAccount, docusignAccountBase: true }]) {
      const error = await rejectionOf(() =>
        firstValueFrom(http.get(`${foreign.url}/absolute`, { signingAuth })),
      );
      expect(error).toBeInstanceOf(SigningAuthHostError);
      expect(error).toMatchObject({ tenantId: 'acme', provider: 'docusign', host: foreign.host });
      expect((error as Error).message).toContain(foreign.host);
      expect(everythingPrintable(error)).not.toContain(acmeToken);
    }
    expect(foreign.requests).toHaveLength(0);
  });

  it("signs the account's own base URI and the hosts http.allowedHosts adds", async () => {
    const own = await firstValueFrom(
      http.get('/envelopes', { signingAuth: { ...docusignAccount, docusignAccountBase: true } }),
    );
    expect(own.status).toBe(200);
    expect(docusign.requests.at(-1)!.headers.authorization).toBe(`Bearer ${acmeToken}`);
    await firstValueFrom(http.get(`${proxy.url}/restapi/v2.1/accounts`, { signingAuth: docusignAccount }));
    expect(proxy.requests.at(-1)!.headers.authorization).toBe(`Bearer ${acmeToken}`);
  });

  it('refuses another scheme, another port of an allowed host, and a look-alike host', async () => {
    const port = Number(new URL(docusign.url).port);
    for (const url of [
      docusign.url.replace('http:', 'https:') + '/x', // https://127.0.0.1:port is another origin
      `http://127.0.0.1:${port === 65535 ? 65534 : port + 1}/x`,
      `http://localhost:${port}/x`, // same machine, another origin
      'http://example.com/x', // plain http off loopback
      'https://account-d.docusign.com.evil.example/x',
    ]) {
      const error = await rejectionOf(() => firstValueFrom(http.get(url, { signingAuth: docusignAccount })));
      expect(error).toBeInstanceOf(SigningAuthHostError);
    }
  });

  it('a generic OAuth 2.0 connection signs only the API base URLs its config names (none: nothing)', async () => {
    const ok = await firstValueFrom(
      http.get(`${api.url}/data`, { signingAuth: { tenantId: 'acme', provider: 'oauth2' } }),
    );
    expect(ok.status).toBe(200);
    expect(api.requests.at(-1)!.headers.authorization).toMatch(/^Bearer \S+$/);
    const tokenHost = await rejectionOf(() =>
      firstValueFrom(
        http.get(`${foreign.url}/api`, { signingAuth: { tenantId: 'acme', provider: 'oauth2' } }),
      ),
    );
    expect(tokenHost).toMatchObject({ name: 'SigningAuthHostError', host: foreign.host });
    const none = await rejectionOf(() =>
      firstValueFrom(
        http.get(`${api.url}/data`, { signingAuth: { tenantId: 'globex', provider: 'oauth2' } }),
      ),
    );
    expect(none).toBeInstanceOf(SigningAuthHostError);
    expect((none as Error).message).toContain('config.apiBaseUrls');
    expect(foreign.requests).toHaveLength(0);
  });

  it('a cross-host redirect is followed without the header; a same-origin one keeps it', async () => {
    const before = foreign.requests.length;
    const res = await firstValueFrom(
      http.get(`${api.url}/to-foreign`, { signingAuth: { tenantId: 'acme', provider: 'oauth2' } }),
    );
    expect(res.status).toBe(200);
    expect(api.requests.at(-1)!.headers.authorization).toMatch(/^Bearer /);
    const landed = foreign.requests.slice(before);
    expect(landed.map((r) => r.path)).toEqual(['/landed']);
    expect(landed[0]!.headers.authorization).toBeUndefined();

    await firstValueFrom(
      http.get(`${api.url}/to-self`, { signingAuth: { tenantId: 'acme', provider: 'oauth2' } }),
    );
    const [first, second] = api.requests.slice(-2);
    expect(first!.path).toBe('/to-self');
    expect(second!.path).toBe('/landed');
    expect(second!.headers.authorization).toBe(first!.headers.authorization);
  });

  it('DocSpring signs its API host (the override here), nothing else', async () => {
    const ok = await firstValueFrom(
      http.get(`${docspring.apiUrl}/authentication`, {
        signingAuth: { tenantId: 'acme', provider: 'docspring' },
      }),
    );
    expect(ok.status).toBe(200);
    const error = await rejectionOf(() =>
      firstValueFrom(
        http.get(`${foreign.url}/api/v1/authentication`, {
          signingAuth: { tenantId: 'acme', provider: 'docspring' },
        }),
      ),
    );
    expect(error).toBeInstanceOf(SigningAuthHostError);
  });
});

describe('Host-bound signing in production mode: no plain http, even to loopback, unless allowed', () => {
  let docspring: DocSpringEmulator;
  const apps: HttpTestApp[] = [];

  beforeAll(async () => {
    docspring = await startDocSpringEmulator({ apiTokens: [{ id: 'tok_acme', secret: 'ds-secret' }] });
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await docspring?.close();
  });

  async function app(allowLoopbackHttp?: boolean): Promise<SigningAuthHttpService> {
    const t = await startHttpTestApp({
      hosts: { docspringApiUrl: docspring.url },
      http: { allowLoopbackHttp },
      module: { developmentMode: false },
    });
    apps.push(t);
    await t.app.get(ConnectionsService).upsert('acme', 'docspring', {
      config: { region: 'us', tokenId: 'tok_acme' },
      secrets: { tokenSecret: 'ds-secret' },
    });
    return t.app.get(SigningAuthHttpService);
  }

  it('refuses http to the (allowed) loopback host; http.allowLoopbackHttp lets it through', async () => {
    const strict = await app();
    const before = docspring.requests.length;
    const error = await rejectionOf(() =>
      firstValueFrom(
        strict.get(`${docspring.apiUrl}/authentication`, {
          signingAuth: { tenantId: 'acme', provider: 'docspring' },
        }),
      ),
    );
    expect(error).toBeInstanceOf(SigningAuthHostError);
    expect((error as Error).message).toMatch(/plain http is allowed only to loopback/);
    expect(docspring.requests.length).toBe(before);

    const allowed = await app(true);
    const ok = await firstValueFrom(
      allowed.get(`${docspring.apiUrl}/authentication`, {
        signingAuth: { tenantId: 'acme', provider: 'docspring' },
      }),
    );
    expect(ok.status).toBe(200);
  });
});
