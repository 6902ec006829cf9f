import { createOpenApiDocument } from '../../src/docs/swagger.js';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient } from './admin-client.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The OpenAPI document `/docs` serves: per-provider bodies whose examples the API accepts, real error examples. */
describe('OpenAPI document of the admin API', () => {
  let harness: AdminTestApp;
  let api: AdminClient;
  let doc: OpenAPIObject;
  const PUT_PATH = '/signing-auth/tenants/{tenantId}/connections/{provider}';

  beforeAll(async () => {
    harness = await startAdminApp();
    api = new AdminClient(harness.baseUrl, ADMIN_TOKEN);
    doc = createOpenApiDocument(harness.app);
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('declares the bearer scheme without bearerFormat JWT (admin tokens are opaque)', () => {
    const schemes = Object.values(doc.components?.securitySchemes ?? {}) as Json[];
    expect(schemes).toEqual([expect.objectContaining({ type: 'http', scheme: 'bearer' })]);
    expect(schemes[0]).not.toHaveProperty('bearerFormat');
  });

  it('describes the PUT body as one schema per provider, discriminated by provider', () => {
    const body = (doc.paths[PUT_PATH].put as Json).requestBody.content['application/json'];
    const ids = ['docusign', 'formstack-sign', 'signicat', 'docspring', 'oauth2'];
    expect(Object.keys(body.schema.discriminator.mapping).sort()).toEqual([...ids].sort());
    expect(body.schema.oneOf).toHaveLength(ids.length);
    const docusign = (doc.components?.schemas as Json).DocuSignConnectionBody;
    expect(docusign.properties.config.required).toEqual(['environment', 'integrationKey', 'grant']);
    expect(docusign.properties.config.properties.grant.enum).toEqual(['authorization_code', 'jwt']);
    expect(docusign.properties.secrets.properties.secretKey).toMatchObject({
      writeOnly: true,
      'x-requiredWhen': { 'config.grant': ['authorization_code'] },
    });
  });

  it('has a working example per provider: the DocuSign one has a grant, and the API accepts each', async () => {
    const examples = (doc.paths[PUT_PATH].put as Json).requestBody.content['application/json']
      .examples as Json;
    expect(Object.keys(examples).sort()).toEqual(
      ['docspring', 'docusign', 'formstack-sign', 'oauth2', 'signicat'].sort(),
    );
    expect(examples.docusign.value.config.grant).toBe('authorization_code');
    for (const [provider, example] of Object.entries(examples)) {
      const res = await api.request('PUT', `/signing-auth/tenants/openapi/connections/${provider}`, {
        body: example.value,
      });
      expect({ provider, status: res.status, body: res.status === 200 ? '' : res.text }).toEqual({
        provider,
        status: 200,
        body: '',
      });
    }
  });

  it('shows a different, real example for each error status', () => {
    const responses = (
      doc.paths['/signing-auth/tenants/{tenantId}/connections/{provider}/refresh'].post as Json
    ).responses as Json;
    const messages = new Set<string>();
    for (const status of ['400', '401', '404', '409', '502']) {
      const examples = responses[status].content['application/json'].examples as Json;
      const first = Object.values(examples)[0] as Json;
      expect(first.value.statusCode).toBe(Number(status));
      messages.add(first.value.message);
    }
    expect(messages.size).toBe(5);
    const bad = responses['400'].content['application/json'].examples as Json;
    expect(bad.missingFields.value.errors.length).toBeGreaterThan(1);
  });

  it('serves the schemas the forms are built from at GET /providers, behind the guard', async () => {
    expect(
      (await api.request('GET', '/signing-auth/providers', { authorization: 'Bearer wrong' })).status,
    ).toBe(401);
    const res = await api.request('GET', '/signing-auth/providers');
    expect(res.status).toBe(200);
    const providers = res.json as Json[];
    expect(providers.map((p) => p.provider)).toEqual([
      'docusign',
      'formstack-sign',
      'signicat',
      'docspring',
      'oauth2',
    ]);
    const signicat = providers.find((p) => p.provider === 'signicat') as Json;
    expect(signicat.config.properties.scopes).toMatchObject({
      type: 'array',
      title: 'Scopes',
      'x-requiredWhen': { generation: ['express', 'idfy'] },
    });
    expect(signicat.secrets.properties.clientSecret).toMatchObject({ writeOnly: true, format: 'password' });
  });
});
