import { createServer } from 'node:net';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient } from './admin-client.js';

const CANARY = 'CANARY-admin-errors-secret-51c2';
const IK = '6c0d3e0a-1111-4222-8333-944445555666';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errors?: Array<{ field: string; message: string }>;
}

/**
 * What a person sees when the admin API refuses their input: every problem in one answer, each naming the
 * field and the fix (never the value), "required" for what is missing, the right message for the wrong type,
 * the known providers for an unknown one, and the host (and the option that overrides it) on network failures.
 */
describe('admin API errors a person can act on', () => {
  let harness: AdminTestApp;
  let api: AdminClient;
  let closedPort: number;

  beforeAll(async () => {
    // A port nobody listens on: bind, note it, close.
    closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    harness = await startAdminApp({
      hosts: { signicatUrl: `http://127.0.0.1:${closedPort}` },
      refresh: { providerTimeoutMs: 2_000 },
    });
    api = new AdminClient(harness.baseUrl, ADMIN_TOKEN);
  });

  afterAll(async () => {
    for (const text of api.responses) expect(text).not.toContain(CANARY);
    await harness?.close();
  });

  const put = async (provider: string, body: unknown) => {
    const res = await api.request('PUT', `/signing-auth/tenants/acme/connections/${provider}`, { body });
    return { status: res.status, body: res.json as ErrorBody };
  };
  const fields = (body: ErrorBody) => (body.errors ?? []).map((e) => e.field).sort();
  const messageOf = (body: ErrorBody, field: string) => body.errors?.find((e) => e.field === field)?.message;

  it('lists every missing DocuSign field in one answer, each "is required"', async () => {
    const { status, body } = await put('docusign', { config: {}, secrets: {} });
    expect(status).toBe(400);
    expect(fields(body)).toEqual(
      ['config.environment', 'config.grant', 'config.integrationKey', 'secrets'].sort(),
    );
    expect(messageOf(body, 'config.environment')).toMatch(/^is required/);
    expect(messageOf(body, 'config.environment')).toMatch(/demo.*production/);
    expect(messageOf(body, 'config.integrationKey')).toMatch(/^is required/);
    expect(messageOf(body, 'config.grant')).toMatch(/^is required/);
    // Which secret depends on the grant, which is missing too: say both.
    expect(messageOf(body, 'secrets')).toMatch(/secretKey.*authorization_code.*privateKey.*jwt/);
    // `message` stays a readable string holding every problem (clients that read only it still see them all).
    for (const e of body.errors ?? []) expect(body.message).toContain(`${e.field}: ${e.message}`);
    expect(Object.keys(body).sort()).toEqual(['error', 'errors', 'message', 'statusCode']);
  });

  it('names the missing secret of the chosen grant together with the config problems', async () => {
    const { body } = await put('docusign', {
      config: { environment: 'sandbox', integrationKey: IK, grant: 'authorization_code' },
      secrets: {},
    });
    expect(fields(body)).toEqual(['config.environment', 'secrets.secretKey']);
    expect(messageOf(body, 'config.environment')).toBe('must be one of: demo, production');
    expect(messageOf(body, 'secrets.secretKey')).toBe('is required for the authorization_code grant');
  });

  it('says a Signicat scope string must be a list, not "no more than 50 elements"', async () => {
    const { status, body } = await put('signicat', {
      config: { clientId: 'c', generation: 'express', scopes: 'signature' },
      secrets: { clientSecret: CANARY },
    });
    expect(status).toBe(400);
    expect(fields(body)).toEqual(['config.scopes']);
    expect(messageOf(body, 'config.scopes')).toMatch(/^must be a list/);
    expect(body.message).not.toMatch(/50 elements/);
    expect(body.message).not.toContain('signature'); // never the value
  });

  it('says "is required" for missing Signicat scopes (express generation)', async () => {
    const { body } = await put('signicat', {
      config: { clientId: 'c', generation: 'express' },
      secrets: {},
    });
    expect(fields(body)).toEqual(['config.scopes', 'secrets.clientSecret']);
    expect(messageOf(body, 'config.scopes')).toMatch(/^is required for the express generation/);
    expect(messageOf(body, 'secrets.clientSecret')).toBe('is required');
  });

  it('says authorizationUrl is required for the oauth2 authorization_code grant', async () => {
    const { body } = await put('oauth2', {
      config: { tokenUrl: 'https://idp.example/token', clientId: 'c', grant: 'authorization_code' },
      secrets: { clientSecret: CANARY },
    });
    expect(fields(body)).toEqual(['config.authorizationUrl']);
    expect(messageOf(body, 'config.authorizationUrl')).toBe('is required for the authorization_code grant');
  });

  it('never quotes a value, even a wrong one, and names unknown fields', async () => {
    const { body } = await put('docspring', {
      config: { region: CANARY, tokenId: `a:${CANARY}`, colour: CANARY },
      secrets: { tokenSecret: 42 },
    });
    expect(fields(body)).toEqual(['config.colour', 'config.region', 'config.tokenId', 'secrets.tokenSecret']);
    expect(messageOf(body, 'config.colour')).toBe('is not a known field');
    expect(messageOf(body, 'secrets.tokenSecret')).toBe('must be a string');
  });

  it('answers 400 listing the known providers for an unknown provider, on every route', async () => {
    const routes: Array<[string, string]> = [
      ['PUT', '/signing-auth/tenants/acme/connections/nosuch'],
      ['GET', '/signing-auth/tenants/acme/connections/nosuch'],
      ['DELETE', '/signing-auth/tenants/acme/connections/nosuch'],
      ['POST', '/signing-auth/tenants/acme/connections/nosuch/refresh'],
      ['POST', '/signing-auth/tenants/acme/connections/nosuch/authorize'],
    ];
    for (const [method, path] of routes) {
      const res = await api.request(method, path, {
        body: method === 'PUT' ? { config: {}, secrets: {} } : undefined,
      });
      expect({ method, status: res.status }).toEqual({ method, status: 400 });
      const body = res.json as ErrorBody;
      expect(body.message).toMatch(/^Unknown provider "nosuch"; known providers: /);
      for (const id of ['docusign', 'formstack-sign', 'signicat', 'docspring', 'oauth2']) {
        expect(body.message).toContain(id);
      }
      expect(body.errors).toEqual([
        { field: 'provider', message: expect.stringMatching(/^must be one of: .*docusign/) },
      ]);
    }
  });

  it('names the host it tried and the option that overrides it when the provider cannot be reached', async () => {
    const saved = await put('signicat', {
      config: { clientId: 'c', generation: 'express', scopes: ['document_read'] },
      secrets: { clientSecret: CANARY },
    });
    expect(saved.status).toBe(200);
    const res = await api.request('POST', '/signing-auth/tenants/acme/connections/signicat/refresh');
    expect(res.status).toBe(502);
    const { message } = res.json as ErrorBody;
    expect(message).toContain(`127.0.0.1:${closedPort}`);
    expect(message).toContain('hosts.signicatUrl');
  });
});
