import type { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { StaticTokenStrategy } from '../support/fake-strategy.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient } from './admin-client.js';

const CANARY = 'CANARY-client-secret-7f3a9c';

describe('admin REST API: connections', () => {
  let harness: AdminTestApp;
  let api: AdminClient;
  let dataSource: DataSource;

  beforeAll(async () => {
    harness = await startAdminApp({ strategies: [new StaticTokenStrategy()] });
    api = new AdminClient(harness.baseUrl, ADMIN_TOKEN);
    dataSource = harness.app.get(getDataSourceToken());
  });

  afterAll(async () => {
    // Every response of this file, errors included, was recorded: none may hold the stored secret.
    expect(api.responses.length).toBeGreaterThan(20);
    for (const text of api.responses) expect(text).not.toContain(CANARY);
    await harness?.close();
  });

  const routes: Array<[string, string]> = [
    ['PUT', '/signing-auth/tenants/acme/connections/static-test'],
    ['GET', '/signing-auth/tenants/acme/connections'],
    ['GET', '/signing-auth/tenants/acme/connections/static-test'],
    ['DELETE', '/signing-auth/tenants/acme/connections/static-test'],
  ];

  it.each(routes)(
    '%s %s answers 401 without a token, with a wrong one, or with another scheme',
    async (method, path) => {
      for (const authorization of [
        undefined,
        'Bearer wrong-token',
        `Basic ${ADMIN_TOKEN}`,
        `Bearer ${ADMIN_TOKEN}x`,
      ]) {
        const res = await api.request(method, path, {
          authorization: authorization ?? null,
          body: { config: { clientId: 'c' }, secrets: { clientSecret: CANARY } },
        });
        expect(res.status).toBe(401);
        expect(res.json).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
      // Nothing was written by the refused PUTs.
      expect((await api.request('GET', '/signing-auth/tenants/acme/connections')).json).toEqual([]);
    },
  );

  it('creates, reads, lists, replaces and deletes a connection; the secret never comes back', async () => {
    const put = await api.request('PUT', '/signing-auth/tenants/acme/connections/static-test', {
      body: { config: { clientId: 'client-1' }, secrets: { clientSecret: CANARY } },
    });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({
      tenantId: 'acme',
      provider: 'static-test',
      status: 'active',
      grantType: 'client_credentials',
      failureCount: 0,
      lastError: null,
    });
    expect(Object.keys(put.json as object).sort()).toEqual(
      [
        'tenantId',
        'provider',
        'status',
        'grantType',
        'scopes',
        'config',
        'accessTokenExpiresAt',
        'refreshTokenExpiresAt',
        'reauthorizeBy',
        'lastRefreshedAt',
        'nextRefreshAt',
        'failureCount',
        'lastError',
        'metadata',
        'createdAt',
        'updatedAt',
      ].sort(),
    );

    const one = await api.request('GET', '/signing-auth/tenants/acme/connections/static-test');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({
      tenantId: 'acme',
      provider: 'static-test',
      config: { clientId: 'client-1' },
    });

    await api.request('PUT', '/signing-auth/tenants/other/connections/static-test', {
      body: { config: { clientId: 'client-other' }, secrets: { clientSecret: CANARY } },
    });
    const replaced = await api.request('PUT', '/signing-auth/tenants/acme/connections/static-test', {
      body: { config: { clientId: 'client-2' }, secrets: { clientSecret: `${CANARY}-2` } },
    });
    expect(replaced.json).toMatchObject({ config: { clientId: 'client-2' } });
    const list = await api.request('GET', '/signing-auth/tenants/acme/connections');
    expect(list.status).toBe(200);
    expect((list.json as Array<{ config: unknown }>).map((c) => c.config)).toEqual([
      { clientId: 'client-2' },
    ]);

    const deleted = await api.request('DELETE', '/signing-auth/tenants/acme/connections/static-test');
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const rows = await dataSource.query(
      `SELECT count(*)::int AS n FROM signing_auth_connections WHERE tenant_id = 'acme'`,
    );
    expect(rows[0].n).toBe(0);
    expect((await api.request('GET', '/signing-auth/tenants/acme/connections/static-test')).status).toBe(404);
    expect((await api.request('GET', '/signing-auth/tenants/other/connections')).json).toHaveLength(1);
  });

  it('answers 404 for a connection that does not exist, on every route that needs one', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await api.request(method, '/signing-auth/tenants/nobody/connections/static-test');
      expect(res.status).toBe(404);
      expect(res.json).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'No static-test connection for tenant "nobody"',
      });
    }
    // A well-formed but unknown provider is a mistake in the URL, not a missing connection: 400 naming it.
    expect((await api.request('GET', '/signing-auth/tenants/nobody/connections/nope')).status).toBe(400);
  });

  it('answers the OAuth callback in JSON when no redirect URL is configured, without the admin guard', async () => {
    const res = await api.request('GET', '/signing-auth/oauth/static-test/callback?code=c&state=s', {
      authorization: null,
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/unknown/),
      errors: [{ field: 'state', message: expect.stringMatching(/unknown/) }],
    });
  });

  const good = { config: { clientId: 'c' }, secrets: { clientSecret: CANARY } };
  const badInputs: Array<[string, string, { body?: unknown; raw?: string }, RegExp]> = [
    [
      'tenant id with a bad first character',
      '/tenants/-acme/connections/static-test',
      { body: good },
      /^tenantId: /,
    ],
    [
      'tenant id too long',
      `/tenants/${'a'.repeat(201)}/connections/static-test`,
      { body: good },
      /^tenantId: /,
    ],
    ['tenant id with a space', '/tenants/ac%20me/connections/static-test', { body: good }, /^tenantId: /],
    ['provider id with a space', '/tenants/acme/connections/static%20test', { body: good }, /^provider: /],
    ['provider id too long', `/tenants/acme/connections/${'p'.repeat(65)}`, { body: good }, /^provider: /],
    ['unknown provider', '/tenants/acme/connections/nope', { body: good }, /Unknown provider "nope"/],
    [
      'body is an array',
      '/tenants/acme/connections/static-test',
      { body: [good] },
      /^body: must be a JSON object$/,
    ],
    ['body is missing', '/tenants/acme/connections/static-test', {}, /^body: must be a JSON object$/],
    [
      'body is empty',
      '/tenants/acme/connections/static-test',
      { body: {} },
      /^config: is required; secrets: is required$/,
    ],
    [
      'config missing',
      '/tenants/acme/connections/static-test',
      { body: { secrets: {} } },
      /^config: is required$/,
    ],
    [
      'secrets missing',
      '/tenants/acme/connections/static-test',
      { body: { config: {} } },
      /^secrets: is required$/,
    ],
    [
      'config is a string',
      '/tenants/acme/connections/static-test',
      { body: { ...good, config: 'x' } },
      /^config: must be a JSON object$/,
    ],
    [
      'secrets is an array',
      '/tenants/acme/connections/static-test',
      { body: { ...good, secrets: [] } },
      /^secrets: must be a JSON object$/,
    ],
    [
      'unknown top-level field',
      '/tenants/acme/connections/static-test',
      { body: { ...good, status: 'active' } },
      /^status: is not an allowed field$/,
    ],
    [
      'provider-specific field missing',
      '/tenants/acme/connections/static-test',
      { body: { config: { clientId: 'c' }, secrets: {} } },
      /^secrets\.clientSecret: is required$/,
    ],
    [
      'malformed JSON',
      '/tenants/acme/connections/static-test',
      { raw: '{"config": {' },
      /^body: is not valid JSON$/,
    ],
    [
      'malformed JSON holding a secret (never echoed back)',
      '/tenants/acme/connections/static-test',
      { raw: `{"config":{},"secrets":{"clientSecret":${CANARY}}}` },
      /^body: is not valid JSON$/,
    ],
  ];

  it.each(badInputs)('answers 400 naming the field: %s', async (_name, path, input, message) => {
    const res = await api.request('PUT', `/signing-auth${path}`, input);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(message),
      errors: expect.arrayContaining([{ field: expect.any(String), message: expect.any(String) }]),
    });
  });
});
