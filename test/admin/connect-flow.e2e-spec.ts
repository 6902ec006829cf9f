import { randomUUID } from 'node:crypto';
import {
  startDocSpringEmulator,
  startDocuSignEmulator,
  type DocSpringEmulator,
  type DocuSignEmulator,
} from '../emulators/index.js';
import { freePort } from '../support/app-process.js';
import { rsaKeyPair } from '../providers/strategy-test-kit.js';
import { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import { ConnectionRepository } from '../../libs/signing-auth/src/connections/connection.repository.js';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient, type AdminResponse } from './admin-client.js';

const IK = randomUUID();
const CANARY = `CANARY-docusign-secret-${randomUUID()}`;
const DSP_CANARY = `CANARY-docspring-secret-${randomUUID()}`;
const DSP_TOKEN_ID = 'api_tok_admin_test';
const USER = randomUUID();
const ACCOUNT = randomUUID();
const JSON_ACCEPT = 'application/json';

describe('admin API: OAuth connect flow and DocSpring tokens over HTTP', () => {
  let harness: AdminTestApp;
  let api: AdminClient;
  let docusign: DocuSignEmulator;
  let docspring: DocSpringEmulator;
  let clockOffsetMs = 0;
  let successUrl: string;
  let failureUrl: string;
  /** Stored secrets no response may contain: the client secrets, and every token the emulator issued. */
  const canaries = [CANARY, DSP_CANARY];
  async function rememberTokens(tenant: string): Promise<void> {
    const row = await harness.app.get(ConnectionRepository).findOne(tenant, 'docusign');
    const stored = harness.app.get(ConnectionCipher).decryptRow(row!);
    for (const token of [stored.accessToken, stored.refreshToken]) if (token) canaries.push(token);
  }
  const connectionsUrl = (tenant: string, provider = 'docusign') =>
    `/signing-auth/tenants/${tenant}/connections/${provider}`;

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    successUrl = `${publicUrl}/connect/?done=1`;
    failureUrl = `${publicUrl}/connect/failed`;
    docusign = await startDocuSignEmulator({
      clients: [
        { clientId: IK, secret: CANARY, redirectUris: [`${publicUrl}/signing-auth/oauth/docusign/callback`] },
      ],
      users: [
        {
          sub: USER,
          accounts: [{ account_id: ACCOUNT, account_name: 'Acme', base_uri: 'https://demo.docusign.net' }],
        },
      ],
    });
    docspring = await startDocSpringEmulator({
      apiTokens: [{ id: DSP_TOKEN_ID, secret: DSP_CANARY }],
      dataRequests: ['drq_123'],
    });
    harness = await startAdminApp(
      {
        publicUrl,
        hosts: { docusignOAuthUrl: docusign.url, docspringApiUrl: docspring.url },
        clock: () => new Date(Date.now() + clockOffsetMs),
        admin: { successRedirectUrl: successUrl, failureRedirectUrl: failureUrl },
      },
      [],
      port,
    );
    api = new AdminClient(harness.baseUrl, ADMIN_TOKEN);
  });

  afterEach(() => {
    clockOffsetMs = 0;
    docusign.denyAuthorizations(false);
  });

  afterAll(async () => {
    // Every response and header of this file: no stored secret anywhere.
    expect(api.responses.length).toBeGreaterThan(30);
    expect(canaries.length).toBeGreaterThanOrEqual(4);
    for (const text of api.responses) for (const canary of canaries) expect(text).not.toContain(canary);
    await harness?.close();
    await docusign?.close();
    await docspring?.close();
  });

  async function createCodeConnection(tenant: string): Promise<void> {
    const res = await api.request('PUT', connectionsUrl(tenant), {
      body: {
        config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code' },
        secrets: { secretKey: CANARY },
      },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'pending', grantType: 'authorization_code' });
  }

  /** POST .../authorize, then the browser leg at the emulator: its 302 back to our callback. */
  async function authorizeAndApprove(tenant: string): Promise<string> {
    const started = await api.request('POST', `${connectionsUrl(tenant)}/authorize`);
    expect(started.status).toBe(200);
    const { authorizationUrl, expiresAt } = started.json as { authorizationUrl: string; expiresAt: string };
    expect(authorizationUrl.startsWith(`${docusign.url}/oauth/auth?`)).toBe(true);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    const approved = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(approved.status).toBe(302);
    const callback = new URL(approved.headers.get('location')!);
    expect(callback.pathname).toBe('/signing-auth/oauth/docusign/callback');
    return `${callback.pathname}${callback.search}`;
  }

  const callbackAs = (path: string, provider: string) =>
    path.replace('/oauth/docusign/', `/oauth/${provider}/`);
  const expectError = (res: AdminResponse, status: number, message: RegExp) => {
    expect(res.status).toBe(status);
    expect(res.json).toEqual({
      statusCode: status,
      error: expect.any(String),
      message: expect.stringMatching(message),
      // Every 400 lists its problems, each naming a field.
      ...(status === 400
        ? { errors: expect.arrayContaining([{ field: expect.any(String), message: expect.any(String) }]) }
        : {}),
    });
  };

  it('connects a DocuSign account end to end: authorize → consent → callback (JSON) → active', async () => {
    await createCodeConnection('acme');
    const callback = await authorizeAndApprove('acme');
    const done = await api.request('GET', callback, { authorization: null, accept: JSON_ACCEPT });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({
      tenantId: 'acme',
      provider: 'docusign',
      status: 'active',
      metadata: { accountId: ACCOUNT, baseUri: 'https://demo.docusign.net' },
    });
    expect((done.json as { accessTokenExpiresAt: string }).accessTokenExpiresAt).not.toBeNull();
    expect((await api.request('GET', connectionsUrl('acme'))).json).toMatchObject({ status: 'active' });
    await rememberTokens('acme');

    // The same callback again: the state is single use.
    expectError(await api.request('GET', callback, { accept: JSON_ACCEPT }), 409, /already used/);
  });

  it('refreshes now: 200 with a new token, 401, 404, 409 for a pending connection, 502 when DocuSign fails', async () => {
    const accessToken = async () => {
      const row = await harness.app.get(ConnectionRepository).findOne('acme', 'docusign');
      return harness.app.get(ConnectionCipher).decryptRow(row!).accessToken;
    };
    const before = await accessToken();
    const res = await api.request('POST', `${connectionsUrl('acme')}/refresh`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      tenantId: 'acme',
      provider: 'docusign',
      status: 'active',
      failureCount: 0,
    });
    expect(await accessToken()).not.toBe(before);
    await rememberTokens('acme');

    expect(
      (await api.request('POST', `${connectionsUrl('acme')}/refresh`, { authorization: null })).status,
    ).toBe(401);
    expectError(
      await api.request('POST', `${connectionsUrl('nobody')}/refresh`),
      404,
      /No docusign connection/,
    );
    await createCodeConnection('waiting');
    expectError(await api.request('POST', `${connectionsUrl('waiting')}/refresh`), 409, /awaits consent/);

    docusign.failNext({ status: 503 }, 10);
    const failed = await api.request('POST', `${connectionsUrl('acme')}/refresh`);
    docusign.clearFailures();
    expect(failed.status).toBe(502);
    expect((failed.json as { message: string }).message).toMatch(/docusign/);
    expect((failed.json as { message: string }).message).toMatch(/"acme"/);
  });

  it('refuses unknown, expired and other-provider states with 4xx and stores nothing', async () => {
    await createCodeConnection('states');
    expectError(
      await api.request('GET', '/signing-auth/oauth/docusign/callback?code=x&state=made-up', {
        accept: JSON_ACCEPT,
      }),
      400,
      /unknown/,
    );
    expectError(
      await api.request('GET', '/signing-auth/oauth/docusign/callback?code=x', { accept: JSON_ACCEPT }),
      400,
      /missing: the provider redirected back with a code but without the state/,
    );
    expectError(
      await api.request('GET', '/signing-auth/oauth/docusign/callback?code=x&state=a&state=b', {
        accept: JSON_ACCEPT,
      }),
      400,
      /^state: must be given once/,
    );

    const late = await authorizeAndApprove('states');
    clockOffsetMs = 11 * 60_000;
    expectError(await api.request('GET', late, { accept: JSON_ACCEPT }), 400, /expired/);
    clockOffsetMs = 0;

    const mixup = await authorizeAndApprove('states');
    expectError(
      await api.request('GET', callbackAs(mixup, 'oauth2'), { accept: JSON_ACCEPT }),
      400,
      /another provider/,
    );
    expect((await api.request('GET', connectionsUrl('states'))).json).toMatchObject({ status: 'pending' });
  });

  it("shows the provider's own error on the callback", async () => {
    await createCodeConnection('declined');
    docusign.denyAuthorizations(true);
    const callback = await authorizeAndApprove('declined');
    expectError(await api.request('GET', callback, { accept: JSON_ACCEPT }), 400, /access_denied/);
    expect((await api.request('GET', connectionsUrl('declined'))).json).toMatchObject({ status: 'pending' });
  });

  it('redirects a browser to the configured success or failure page', async () => {
    await createCodeConnection('browser');
    const ok = await api.request('GET', await authorizeAndApprove('browser'), { accept: 'text/html' });
    expect(ok.status).toBe(302);
    const success = new URL(ok.headers.get('location')!);
    expect(`${success.origin}${success.pathname}`).toBe(successUrl.split('?')[0]);
    expect(Object.fromEntries(success.searchParams)).toEqual({
      done: '1',
      tenantId: 'browser',
      provider: 'docusign',
      status: 'active',
    });

    docusign.denyAuthorizations(true);
    const denied = await api.request('GET', await authorizeAndApprove('browser'), { accept: 'text/html' });
    const failure = new URL(denied.headers.get('location')!);
    expect(`${failure.origin}${failure.pathname}`).toBe(failureUrl);
    expect(failure.searchParams.get('error')).toBe('access_denied');
    expect(failure.searchParams.get('tenantId')).toBe('browser');
    expect(failure.searchParams.get('message')).toMatch(/access_denied/);

    const replay = await api.request('GET', '/signing-auth/oauth/docusign/callback?code=x&state=nope', {});
    expect(new URL(replay.headers.get('location')!).searchParams.get('error')).toBe('state_unknown');
  });

  it('answers 401, 404, 409 and 400 on authorize', async () => {
    await createCodeConnection('guarded');
    expect(
      (await api.request('POST', `${connectionsUrl('guarded')}/authorize`, { authorization: null })).status,
    ).toBe(401);
    expect(
      (await api.request('POST', `${connectionsUrl('guarded')}/authorize`, { authorization: 'Bearer nope' }))
        .status,
    ).toBe(401);
    expectError(
      await api.request('POST', `${connectionsUrl('nobody')}/authorize`),
      404,
      /No docusign connection/,
    );
    expectError(
      await api.request('POST', `${connectionsUrl('guarded', 'nope')}/authorize`),
      400,
      /Unknown provider/,
    );
    expectError(
      await api.request('POST', `/signing-auth/tenants/-x/connections/docusign/authorize`),
      400,
      /^tenantId: /,
    );

    // DocuSign JWT connections go through the flow for consent; an API-token connection has nothing to authorize.
    const { privateKey, publicKey } = rsaKeyPair();
    // Saving a JWT connection checks the key with DocuSign (verified on save): register it there.
    docusign.registerClient({
      clientId: IK,
      secret: CANARY,
      publicKey,
      redirectUris: [`${harness.baseUrl}/signing-auth/oauth/docusign/callback`],
    });
    const jwt = await api.request('PUT', connectionsUrl('jwt'), {
      body: {
        config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: USER },
        secrets: { privateKey },
      },
    });
    expect(jwt.status).toBe(200);
    expect((await api.request('POST', `${connectionsUrl('jwt')}/authorize`)).status).toBe(200);
    const apiToken = await api.request('PUT', connectionsUrl('api-token', 'docspring'), {
      body: { config: { region: 'us', tokenId: DSP_TOKEN_ID }, secrets: { tokenSecret: DSP_CANARY } },
    });
    expect(apiToken.status).toBe(200);
    expectError(
      await api.request('POST', `${connectionsUrl('api-token', 'docspring')}/authorize`),
      409,
      /does not use the authorization-code grant/,
    );
  });

  it('creates DocSpring data-request tokens; 400, 401 and 404 for bad requests', async () => {
    const put = await api.request('PUT', connectionsUrl('acme', 'docspring'), {
      body: { config: { region: 'us', tokenId: DSP_TOKEN_ID }, secrets: { tokenSecret: DSP_CANARY } },
    });
    expect(put.status).toBe(200);
    const url = (tenant: string, id: string) =>
      `/signing-auth/tenants/${tenant}/docspring/data-requests/${id}/tokens`;

    const created = await api.request('POST', url('acme', 'drq_123'), { body: { type: 'email' } });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.any(String),
      secret: expect.any(String),
      expiresAt: expect.any(String),
      dataRequestUrl: expect.any(String),
    });
    expect((await api.request('POST', url('acme', 'drq_123'))).status).toBe(201);

    expect((await api.request('POST', url('acme', 'drq_123'), { authorization: null })).status).toBe(401);
    expectError(
      await api.request('POST', url('acme', 'drq_123'), { body: { type: 'sms' } }),
      400,
      /^type: must be "api" or "email"$/,
    );
    expectError(
      await api.request('POST', url('acme', 'drq_123'), { body: { type: 'api', x: 1 } }),
      400,
      /^x: is not an allowed field$/,
    );
    expectError(await api.request('POST', url('acme', 'drq%20bad')), 400, /^dataRequestId: /);
    expectError(await api.request('POST', url('acme', 'drq_missing')), 404, /no data request "drq_missing"/);
    expectError(await api.request('POST', url('nobody', 'drq_123')), 404, /No docspring connection/);
  });
});
