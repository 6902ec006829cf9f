import { ProviderFailure } from 'signing-auth';
import { NetworkPolicy, type LookupFunction } from '../../libs/signing-auth/src/network/network-policy.js';
import { ProviderHttpClient } from '../../libs/signing-auth/src/providers/shared/provider-http.client.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { AdminClient } from './admin-client.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';

const INTERNAL = 'INTERNAL-ONLY: db=10.0.0.5 user=svc_admin build=4711';
const CLIENT_SECRET = 'CANARY-client-secret-7731';

const oauth2 = (config: Record<string, unknown>) => ({
  config: { clientId: 'evil-client', grant: 'client_credentials', ...config },
  secrets: { clientSecret: CLIENT_SECRET },
});

describe('Tenant URLs are not a way into the network (production mode)', () => {
  let internal: RecordingServer;
  let t: AdminTestApp;
  let admin: AdminClient;

  beforeAll(async () => {
    internal = await startRecordingServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(INTERNAL);
    });
    t = await startAdminApp({ developmentMode: false });
    admin = new AdminClient(t.baseUrl, ADMIN_TOKEN);
  });
  afterAll(async () => {
    await t?.close();
    await internal?.close();
  });

  it.each([
    [
      'tokenUrl',
      () => `${internal.url}/internal/admin/reindex`,
      /config\.tokenUrl: resolves to a loopback address/,
    ],
    ['tokenUrl', () => 'https://localhost/token', /config\.tokenUrl: resolves to a loopback address/],
    ['tokenUrl', () => 'https://[::ffff:127.0.0.1]/token', /config\.tokenUrl: resolves to a loopback/],
    ['tokenUrl', () => 'https://10.0.0.5/token', /config\.tokenUrl: resolves to a private/],
    ['tokenUrl', () => 'https://192.168.1.10/token', /config\.tokenUrl: resolves to a private/],
    [
      'tokenUrl',
      () => 'https://169.254.169.254/latest/meta-data',
      /config\.tokenUrl: resolves to a cloud metadata/,
    ],
    ['tokenUrl', () => 'https://[fd00::1]/token', /config\.tokenUrl: resolves to a private/],
    ['tokenUrl', () => 'https://224.0.0.1/token', /config\.tokenUrl: resolves to a private/],
    ['apiBaseUrls', () => 'https://10.1.2.3', /config\.apiBaseUrls: resolves to a private/],
  ])('PUT with %s → 400 naming the field; nothing is sent (case %#)', async (field, url, message) => {
    const config =
      field === 'apiBaseUrls'
        ? { tokenUrl: 'https://203.0.114.10/token', apiBaseUrls: [url()] }
        : { tokenUrl: url() };
    const res = await admin.request('PUT', '/signing-auth/tenants/evil/connections/oauth2', {
      body: oauth2(config),
    });
    expect(res.status).toBe(400);
    expect((res.json as { message: string }).message).toMatch(message);
    expect(internal.requests).toHaveLength(0);
  });

  it('refuses a private authorizationUrl too', async () => {
    const res = await admin.request('PUT', '/signing-auth/tenants/evil/connections/oauth2', {
      body: oauth2({
        grant: 'authorization_code',
        tokenUrl: 'https://203.0.114.10/token',
        authorizationUrl: 'https://127.0.0.1/authorize',
      }),
    });
    expect(res.status).toBe(400);
    expect((res.json as { message: string }).message).toMatch(
      /^config\.authorizationUrl: resolves to a loopback/,
    );
  });
});

describe('Tenant URLs: what an allowed but hostile endpoint can get back (development mode, loopback allowed)', () => {
  let internal: RecordingServer;
  let internalJson: RecordingServer;
  let huge: RecordingServer;
  let t: AdminTestApp;
  let admin: AdminClient;

  beforeAll(async () => {
    internal = await startRecordingServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(INTERNAL);
    });
    internalJson = await startRecordingServer((_req, res) => {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: INTERNAL, detail: INTERNAL }));
    });
    huge = await startRecordingServer((_req, res) => {
      // 64 MiB of a JSON string, written as fast as the reader takes it.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      let left = 64;
      res.write('{"access_token":"');
      const pump = (): void => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}');
      };
      res.on('error', () => undefined);
      pump();
    });
    // Saved unverified, so the refresh path is what meets the hostile endpoint.
    t = await startAdminApp({ developmentMode: true, verifyOnSave: false });
    admin = new AdminClient(t.baseUrl, ADMIN_TOKEN);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([internal, internalJson, huge].map((s) => s?.close()));
  });

  it.each([
    ['text/plain', () => internal],
    ['JSON without an OAuth error code', () => internalJson],
  ])("never reflects an internal service's %s body into the answer or lastError", async (_kind, server) => {
    const tenant = `evil-${server().host.replace(/\W/g, '')}`;
    const put = await admin.request('PUT', `/signing-auth/tenants/${tenant}/connections/oauth2`, {
      body: oauth2({ tokenUrl: `${server().url}/internal/admin/reindex` }),
    });
    expect(put.status).toBe(200);
    const refresh = await admin.request('POST', `/signing-auth/tenants/${tenant}/connections/oauth2/refresh`);
    // 502 for a non-JSON answer (not the provider's OAuth server speaking: transient), 409 for JSON refusals.
    expect([409, 502]).toContain(refresh.status);
    expect(server().requests).toHaveLength(1);
    const view = await admin.request('GET', `/signing-auth/tenants/${tenant}/connections/oauth2`);
    expect((view.json as { lastError: string }).lastError).toMatch(/HTTP 404/);
    for (const text of [refresh.text, view.text]) {
      expect(text).not.toContain('INTERNAL-ONLY');
      expect(text).not.toContain('svc_admin');
      expect(text).not.toContain(CLIENT_SECRET);
    }
  });

  it('reads at most 1 MiB of a provider answer (a 64 MiB token answer fails as too large)', async () => {
    await admin.request('PUT', '/signing-auth/tenants/big/connections/oauth2', {
      body: oauth2({ tokenUrl: `${huge.url}/token` }),
    });
    const rssBefore = process.memoryUsage().rss;
    const refresh = await admin.request('POST', '/signing-auth/tenants/big/connections/oauth2/refresh');
    const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    expect(refresh.status).toBe(502);
    expect((refresh.json as { message: string }).message).toMatch(/larger than 1048576 bytes/);
    expect(grownMiB).toBeLessThan(32);
  });
});

describe('The connection-time check: DNS rebinding does not get past it', () => {
  let internal: RecordingServer;
  beforeAll(async () => {
    internal = await startRecordingServer();
  });
  afterAll(() => internal?.close());

  it('a name that resolved to a public address at save time and to loopback at connect time is refused', async () => {
    let calls = 0;
    // First answer (the save-time check): a public address. Later answers: the loopback listener.
    const rebinding: LookupFunction = (_host, options, callback) => {
      const address = calls++ === 0 ? '93.184.215.14' : '127.0.0.1';
      if (options.all) callback(null, [{ address, family: 4 }]);
      else callback(null, address, 4);
    };
    const policy = new NetworkPolicy({ developmentMode: false, allowPrivateNetworks: false }, rebinding);
    const port = new URL(internal.url).port;
    expect(await policy.checkUrl(`http://idp.rebind.test:${port}/token`)).toBeUndefined();

    const client = new ProviderHttpClient(5_000, policy);
    const error = await client
      .request(
        {
          method: 'POST',
          url: `http://idp.rebind.test:${port}/token`,
          form: { grant_type: 'client_credentials' },
          tenantUrl: true,
        },
        { signal: new AbortController().signal, now: () => new Date() },
        { provider: 'oauth2', tenantId: 'evil', operation: 'client credentials' },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderFailure);
    expect(error).toMatchObject({ kind: 'needs_reauth', details: { code: 'forbidden_address' } });
    expect((error as Error).message).toMatch(
      /oauth2 client credentials for tenant "evil": the endpoint resolves to a loopback address/,
    );
    expect(internal.requests).toHaveLength(0);
  });

  it('allowPrivateNetworks lets an on-premise identity provider through, but never a metadata address', async () => {
    const policy = new NetworkPolicy({ developmentMode: false, allowPrivateNetworks: true });
    expect(policy.refusal('10.0.0.5')).toBeUndefined();
    expect(policy.refusal('127.0.0.1')).toBeUndefined();
    expect(policy.refusal('169.254.169.254')?.kind).toBe('metadata');
    expect(policy.refusal('::ffff:169.254.169.254')?.kind).toBe('metadata');
  });
});
