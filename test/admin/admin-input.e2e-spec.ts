import { AdminClient } from './admin-client.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';

const CANARY = 'CANARY-SECRET-123';
const DOCUSIGN_BODY = JSON.stringify({
  config: {
    environment: 'demo',
    integrationKey: '00000000-0000-4000-8000-000000000000',
    grant: 'authorization_code',
  },
  secrets: { secretKey: CANARY },
});

describe('Admin input is never echoed', () => {
  let t: AdminTestApp;
  let admin: AdminClient;

  beforeAll(async () => {
    t = await startAdminApp();
    admin = new AdminClient(t.baseUrl, ADMIN_TOKEN);
  });
  afterAll(() => t?.close());

  async function send(
    path: string,
    init: { method: string; contentType?: string; body?: string; auth?: boolean },
  ) {
    const headers: Record<string, string> = {};
    if (init.contentType) headers['content-type'] = init.contentType;
    if (init.auth !== false) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
    const res = await fetch(`${t.baseUrl}${path}`, { method: init.method, headers, body: init.body });
    return { status: res.status, text: await res.text() };
  }

  it.each([
    'application/x-www-form-urlencoded', // curl -d's default
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
  ])('a %s body answers 415 saying to send JSON, quoting nothing', async (contentType) => {
    const res = await send('/signing-auth/tenants/acme/connections/docusign', {
      method: 'PUT',
      contentType,
      body: DOCUSIGN_BODY,
    });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.text)).toMatchObject({
      statusCode: 415,
      message: 'body: send Content-Type: application/json',
    });
    expect(res.text).not.toContain(CANARY);
    expect(res.text).not.toContain('integrationKey');
  });

  it('application/json with a charset still works', async () => {
    const res = await send('/signing-auth/tenants/acme/connections/docusign', {
      method: 'PUT',
      contentType: 'application/json; charset=utf-8',
      body: DOCUSIGN_BODY,
    });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(CANARY);
  });

  it.each(['/SIGNING-AUTH', '/Signing-Auth', '/signing-auth'])(
    'malformed JSON under %s, without auth, answers 400 without quoting the body',
    async (prefix) => {
      const res = await send(`${prefix}/tenants/acme/connections/oauth2`, {
        method: 'PUT',
        contentType: 'application/json',
        body: '{"config":{},"secrets":{"clientSecret":SUPERSECRET-CANARY}}',
        auth: false,
      });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ message: 'body: is not valid JSON' });
      expect(res.text).not.toMatch(/SUPERSECRE|clientSecret/);
    },
  );

  it.each([
    [
      'config.scopes',
      (deep: string) =>
        `{"config":{"clientId":"a","generation":"express","scopes":${deep}},"secrets":{"clientSecret":"x"}}`,
      '['.repeat(3000) + ']'.repeat(3000),
    ],
    [
      'secrets',
      (deep: string) => `{"config":{"clientId":"a","generation":"express","scopes":["x"]},"secrets":${deep}}`,
      '{"a":'.repeat(3000) + '1' + '}'.repeat(3000),
    ],
    [
      'a long list',
      (list: string) =>
        `{"config":{"clientId":"a","generation":"express","scopes":${list}},"secrets":{"clientSecret":"x"}}`,
      JSON.stringify(Array.from({ length: 5000 }, () => 'x')),
    ],
  ])('deeply nested or huge JSON (%s) answers 400, not 500', async (_where, body, inner) => {
    const res = await admin.request('PUT', '/signing-auth/tenants/acme/connections/signicat', {
      raw: body(inner),
    });
    expect(res.status).toBe(400);
    expect((res.json as { message: string }).message).toMatch(
      /^body: (is nested more than 10 levels deep|has a list of more than 100 items)$/,
    );
  });

  it('a field name is input too: an unknown key is not quoted unless it looks like a field name', async () => {
    const weird = await admin.request('PUT', '/signing-auth/tenants/acme/connections/docusign', {
      body: { config: { [`${CANARY} x`]: 1 }, secrets: {} },
    });
    expect(weird.status).toBe(400);
    expect(weird.text).not.toContain(CANARY);
    const top = await admin.request('PUT', '/signing-auth/tenants/acme/connections/docusign', {
      body: { [`{"secrets":"${CANARY}"}`]: '' },
    });
    expect(top.status).toBe(400);
    expect(top.text).not.toContain(CANARY);
  });
});
