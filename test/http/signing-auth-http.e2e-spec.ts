import { jest } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { HttpModule, HttpService } from '@nestjs/axios';
import { Injectable, Module } from '@nestjs/common';
import axios, { AxiosError } from 'axios';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { firstValueFrom } from 'rxjs';
import {
  ConnectionsService,
  SigningAuthHttpService,
  SigningAuthRequestError,
  SigningAuthScopeError,
  TokenService,
} from 'signing-auth';
import {
  startDocSpringEmulator,
  startOAuth2Emulator,
  startSignicatEmulator,
  type DocSpringEmulator,
  type OAuth2Emulator,
  type SignicatEmulator,
} from '../emulators/index.js';
import { everythingPrintable, rejectionOf, startHttpTestApp, type HttpTestApp } from './http-test-app.js';

/** A host feature module with its own HttpModule, as Nest's docs show it. */
@Injectable()
class HostClient {
  constructor(readonly http: HttpService) {}
}
@Module({ imports: [HttpModule], providers: [HostClient], exports: [HostClient] })
class HostFeatureModule {}

const tenantContext = new AsyncLocalStorage<{ tenantId: string }>();

describe('SigningAuthHttpService: outgoing calls signed per tenant and provider', () => {
  let oauth: OAuth2Emulator;
  let signicat: SignicatEmulator;
  let docspring: DocSpringEmulator;
  let t: HttpTestApp;
  let http: SigningAuthHttpService;
  let tokens: TokenService;
  const apiRequests = () => oauth.requests.filter((r) => r.path.startsWith('/api/'));
  const tokenRequests = () => oauth.stats.tokenRequests.client_credentials ?? 0;

  beforeAll(async () => {
    oauth = await startOAuth2Emulator({
      clients: [
        { clientId: 'client-acme', secret: 'acme-secret', allowedScopes: ['read', 'admin'] },
        { clientId: 'client-globex', secret: 'globex-secret', allowedScopes: ['read', 'admin'] },
      ],
    });
    signicat = await startSignicatEmulator({
      clients: [
        { clientId: 'sig-acme', secret: 'sig-secret', generation: 'express', scopes: ['document_read'] },
      ],
    });
    docspring = await startDocSpringEmulator({ apiTokens: [{ id: 'tok_acme', secret: 'ds-secret' }] });
    t = await startHttpTestApp({
      hosts: { signicatUrl: signicat.url, docspringApiUrl: docspring.url },
      http: { tenantResolver: () => tenantContext.getStore()?.tenantId },
      // The host also has HttpModules of its own (a global one and a feature module's), which must stay unsigned.
      hostHttpModule: true,
      imports: [{ module: HostFeatureModule }],
      // These tests exercise the first-use refresh (e.g. credentials refused at first use); saving with
      // verification is covered by test/providers/verify-on-save.e2e-spec.ts.
      verifyOnSave: false,
    });
    http = t.app.get(SigningAuthHttpService);
    tokens = t.app.get(TokenService);
    const connections = t.app.get(ConnectionsService);
    for (const [tenant, client] of [
      ['acme', 'client-acme'],
      ['globex', 'client-globex'],
    ] as const) {
      await connections.upsert(tenant, 'oauth2', {
        config: {
          tokenUrl: oauth.tokenUrl,
          apiBaseUrls: [oauth.url],
          clientId: client,
          grant: 'client_credentials',
          scopes: ['read'],
        },
        secrets: { clientSecret: client === 'client-acme' ? 'acme-secret' : 'globex-secret' },
      });
    }
    await connections.upsert('acme', 'signicat', {
      config: { clientId: 'sig-acme', generation: 'express', scopes: ['document_read'] },
      secrets: { clientSecret: 'sig-secret' },
    });
    await connections.upsert('acme', 'docspring', {
      config: { region: 'us', tokenId: 'tok_acme' },
      secrets: { tokenSecret: 'ds-secret' },
    });
  });
  afterEach(() => {
    oauth.clearFailures();
    jest.restoreAllMocks();
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([oauth?.close(), signicat?.close(), docspring?.close()]);
  });

  const get = (url: string, config: Parameters<SigningAuthHttpService['get']>[1]) =>
    firstValueFrom(http.get(url, config));

  it('leaves requests without signingAuth untouched: no header, no token lookup, no database access', async () => {
    const lookups = jest.spyOn(tokens, 'getAccessToken');
    const before = t.queries.count;
    for (let i = 0; i < 20; i++) {
      const res = await rejectionOf(() => get(`${oauth.url}/api/plain`, {}));
      expect((res as AxiosError).response?.status).toBe(401);
    }
    const ok = await get(`${oauth.url}/api/plain`, {
      headers: { Authorization: 'Bearer mine' },
      validateStatus: () => true,
    });
    expect(ok.status).toBe(401); // the caller's own header went out as is
    expect(t.queries.count).toBe(before);
    expect(lookups).not.toHaveBeenCalled();
    const sent = apiRequests().slice(-21);
    expect(sent.slice(0, 20).every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(sent[20]!.headers.authorization).toBe('Bearer mine');
  });

  it("attaches each tenant's own token; interleaved calls of two tenants never cross", async () => {
    const calls = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'acme' : 'globex')).map(
      async (tenant) => {
        const res = await get(`${oauth.url}/api/whoami`, {
          signingAuth: { tenantId: tenant, provider: 'oauth2' },
        });
        return { tenant, sub: res.data.sub as string };
      },
    );
    for (const { tenant, sub } of await Promise.all(calls)) expect(sub).toBe(`client-${tenant}`);
    const [acme, globex] = await Promise.all([
      tokens.getAccessToken('acme', 'oauth2'),
      tokens.getAccessToken('globex', 'oauth2'),
    ]);
    expect(acme.accessToken).not.toBe(globex.accessToken);
    const headers = new Set(
      apiRequests()
        .slice(-40)
        .map((r) => r.headers.authorization),
    );
    expect(headers).toEqual(new Set([`Bearer ${acme.accessToken}`, `Bearer ${globex.accessToken}`]));
  });

  it('a signed request with a cached token costs no database round trip', async () => {
    await tokens.getAccessToken('acme', 'oauth2');
    const before = t.queries.count;
    for (let i = 0; i < 30; i++) {
      await get(`${oauth.url}/api/whoami`, { signingAuth: { tenantId: 'acme', provider: 'oauth2' } });
    }
    expect(t.queries.count - before).toBeLessThanOrEqual(1); // at most the batched "last used" write
  });

  it('takes the tenant from the configured resolver (AsyncLocalStorage), and refuses a call outside any tenant', async () => {
    const inTenant = (tenantId: string) =>
      tenantContext.run({ tenantId }, () =>
        get(`${oauth.url}/api/whoami`, { signingAuth: { provider: 'oauth2' } }),
      );
    const [a, g] = await Promise.all([inTenant('acme'), inTenant('globex')]);
    expect([a.data.sub, g.data.sub]).toEqual(['client-acme', 'client-globex']);

    const sentBefore = apiRequests().length;
    const error = await rejectionOf(() =>
      get(`${oauth.url}/api/whoami`, { signingAuth: { provider: 'oauth2' } }),
    );
    expect(error).toBeInstanceOf(SigningAuthRequestError);
    expect((error as SigningAuthRequestError).provider).toBe('oauth2');
    expect((error as Error).message).toMatch(/tenantResolver returned no tenant/);
    expect(apiRequests().length).toBe(sentBefore);
  });

  it('uses the header each strategy prescribes: Bearer for Signicat, Basic for DocSpring', async () => {
    const sig = await get(`${signicat.url}/signature/documents`, {
      signingAuth: { tenantId: 'acme', provider: 'signicat' },
    });
    expect(sig.status).toBe(200);
    expect(signicat.requests.at(-1)!.headers.authorization).toMatch(/^Bearer \S+$/);

    const ds = await get(`${docspring.apiUrl}/authentication`, {
      signingAuth: { tenantId: 'acme', provider: 'docspring' },
    });
    expect(ds.status).toBe(200);
    expect(docspring.lastAuthorizationHeader).toBe(
      `Basic ${Buffer.from('tok_acme:ds-secret').toString('base64')}`,
    );
  });

  it('401 → one forced refresh → one retry → 200; concurrent 401s share that one refresh', async () => {
    const old = await tokens.getAccessToken('acme', 'oauth2');
    oauth.revokeToken(old.accessToken); // the provider drops the token the library still holds as valid
    const tokenCallsBefore = tokenRequests();
    const apiBefore = apiRequests().length;

    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        get(`${oauth.url}/api/whoami`, { signingAuth: { tenantId: 'acme', provider: 'oauth2' } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(tokenRequests() - tokenCallsBefore).toBe(1);
    expect(apiRequests().length - apiBefore).toBe(20); // each request: the refused try and one retry
    const fresh = await tokens.getAccessToken('acme', 'oauth2');
    expect(fresh.accessToken).not.toBe(old.accessToken);
    expect(apiRequests().at(-1)!.headers.authorization).toBe(`Bearer ${fresh.accessToken}`);
    // The other tenant's token was left alone.
    expect(oauth.isAccessTokenValid((await tokens.getAccessToken('globex', 'oauth2')).accessToken)).toBe(
      true,
    );
  });

  it('a second 401 goes back to the caller as is (no loop), with the credential redacted', async () => {
    const apiBefore = apiRequests().length;
    const tokenCallsBefore = tokenRequests();
    oauth.failNext({ status: 401, body: { error: 'invalid_token' } }, 2, (r) => r.path.startsWith('/api/'));

    const error = await rejectionOf(() =>
      get(`${oauth.url}/api/whoami?token_hint=secret-query`, {
        signingAuth: { tenantId: 'acme', provider: 'oauth2' },
      }),
    );
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(401);
    expect((error as AxiosError).response?.data).toEqual({ error: 'invalid_token' });
    expect(apiRequests().length - apiBefore).toBe(2);
    expect(tokenRequests() - tokenCallsBefore).toBe(1);

    const sent = apiRequests()
      .slice(-2)
      .map((r) => r.headers.authorization!.slice('Bearer '.length));
    expect(sent[0]).not.toBe(sent[1]); // the retry carried the refreshed token
    expect((error as AxiosError).config?.headers.Authorization).toBe('[REDACTED]');
    const printable = everythingPrintable(error);
    for (const token of sent) expect(printable).not.toContain(token);
  });

  it('a 401 for static credentials (DocSpring) is not retried with the same header: the refresh error says why', async () => {
    const before = docspring.stats.requests;
    docspring.failNext({ status: 401, body: { status: 'error', error: 'Invalid API token secret' } });
    const error = await rejectionOf(() =>
      get(`${docspring.apiUrl}/authentication`, { signingAuth: { tenantId: 'acme', provider: 'docspring' } }),
    );
    expect(error).toMatchObject({ name: 'SigningAuthRefreshError', tenantId: 'acme', provider: 'docspring' });
    expect(docspring.stats.requests - before).toBe(1);
    expect(everythingPrintable(error)).not.toContain(Buffer.from('tok_acme:ds-secret').toString('base64'));
  });

  it('403 → SigningAuthScopeError naming tenant, provider, granted and wanted scopes; no refresh, no retry', async () => {
    const apiBefore = apiRequests().length;
    const tokenCallsBefore = tokenRequests();
    const error = await rejectionOf(() =>
      get(`${oauth.url}/api/admin/users`, { signingAuth: { tenantId: 'globex', provider: 'oauth2' } }),
    );
    expect(error).toBeInstanceOf(SigningAuthScopeError);
    const scope = error as SigningAuthScopeError;
    expect(scope).toMatchObject({
      tenantId: 'globex',
      provider: 'oauth2',
      grantedScopes: ['read'],
      requiredScopes: ['admin'],
      request: `GET ${oauth.url}/api/admin/users`,
      response: { status: 403, data: { error: 'insufficient_scope' } },
    });
    expect(scope.message).toContain('globex');
    expect(scope.message).toContain('Granted scopes: read');
    expect(apiRequests().length - apiBefore).toBe(1);
    expect(tokenRequests()).toBe(tokenCallsBefore);
    const token = (await tokens.getAccessToken('globex', 'oauth2')).accessToken;
    expect(everythingPrintable(error)).not.toContain(token);
  });

  it('a successful response does not keep the credential where a log would print it', async () => {
    const res = await get(`${oauth.url}/api/whoami`, {
      signingAuth: { tenantId: 'acme', provider: 'oauth2' },
    });
    const token = (await tokens.getAccessToken('acme', 'oauth2')).accessToken;
    expect(res.config.headers.Authorization).toBe('[REDACTED]');
    expect(everythingPrintable({ message: '', stack: '', ...res })).not.toContain(token);
  });

  it('refuses before anything leaves the process: unknown connection, needs_reauth, disabled, unknown provider', async () => {
    const sentBefore = oauth.stats.requests;
    const unknown = await rejectionOf(() =>
      get(`${oauth.url}/api/whoami`, { signingAuth: { tenantId: 'initech', provider: 'oauth2' } }),
    );
    expect(unknown).toMatchObject({
      name: 'ConnectionNotFoundError',
      tenantId: 'initech',
      provider: 'oauth2',
    });

    const connections = t.app.get(ConnectionsService);
    const connect = (tenant: string, clientSecret: string) =>
      connections.upsert(tenant, 'oauth2', {
        config: {
          tokenUrl: oauth.tokenUrl,
          apiBaseUrls: [oauth.url],
          clientId: 'client-acme',
          grant: 'client_credentials',
        },
        secrets: { clientSecret },
      });

    // The provider refuses the client's credentials: the connection turns needs_reauth.
    await connect('hooli', 'wrong-secret');
    const refused = await rejectionOf(() =>
      get(`${oauth.url}/api/whoami`, { signingAuth: { tenantId: 'hooli', provider: 'oauth2' } }),
    );
    expect(refused).toMatchObject({
      name: 'SigningAuthReauthRequiredError',
      tenantId: 'hooli',
      provider: 'oauth2',
    });
    const tokenCallsAfterRefusal = oauth.stats.requests;
    // From then on the request fails without a single call to the provider.
    const reauth = await rejectionOf(() =>
      get(`${oauth.url}/api/whoami`, { signingAuth: { tenantId: 'hooli', provider: 'oauth2' } }),
    );
    expect(reauth).toMatchObject({ name: 'SigningAuthReauthRequiredError', tenantId: 'hooli' });
    expect((reauth as Error).message).toContain('re-authorized');
    expect(oauth.stats.requests).toBe(tokenCallsAfterRefusal);

    await connect('umbrella', 'acme-secret');
    await t.app
      .get<DataSource>(getDataSourceToken())
      .query(`UPDATE signing_auth_connections SET status = 'disabled' WHERE tenant_id = 'umbrella'`);
    const disabled = await rejectionOf(() =>
      get(`${oauth.url}/api/whoami`, { signingAuth: { tenantId: 'umbrella', provider: 'oauth2' } }),
    );
    expect(disabled).toMatchObject({ name: 'SigningAuthConnectionDisabledError', tenantId: 'umbrella' });
    const notDocuSign = await rejectionOf(() =>
      get('/envelopes', { signingAuth: { tenantId: 'acme', provider: 'oauth2', docusignAccountBase: true } }),
    );
    expect(notDocuSign).toBeInstanceOf(SigningAuthRequestError);
    expect((notDocuSign as Error).message).toMatch(/docusignAccountBase applies to docusign requests only/);
    const provider = await rejectionOf(() =>
      get(`${oauth.url}/api/whoami`, { signingAuth: { tenantId: 'acme', provider: 'hellosign' } }),
    );
    expect(provider).toMatchObject({ name: 'UnknownProviderError', provider: 'hellosign' });
    // Nothing reached the API; the only calls were the refused token requests.
    expect(oauth.requests.slice(sentBefore).filter((r) => r.path !== '/token')).toEqual([]);
  });

  const signed = { signingAuth: { tenantId: 'acme', provider: 'oauth2' } };

  it('the library signs on its own axios instance, distinct from the host clients and the axios default', async () => {
    const ours = t.app.get(SigningAuthHttpService);
    const hostFeature = t.app.get(HostClient).http;
    const hostGlobal = t.app.get(HttpService, { strict: false });
    expect(ours).toBeInstanceOf(HttpService); // the whole HttpService API, Observables and axiosRef
    for (const other of [hostFeature.axiosRef, hostGlobal.axiosRef, axios])
      expect(ours.axiosRef).not.toBe(other);

    const res = await firstValueFrom(ours.get(`${oauth.url}/api/whoami`, signed));
    expect(res.data.sub).toBe('client-acme');
    expect(apiRequests().at(-1)!.headers.authorization).toMatch(/^Bearer /);
  });

  it("the host's HttpService and the process-wide axios default send signingAuth requests untouched", async () => {
    const hostFeature = t.app.get(HostClient).http;
    const plain = { ...signed, validateStatus: () => true };
    expect((await firstValueFrom(hostFeature.get(`${oauth.url}/api/whoami`, plain))).status).toBe(401);
    expect(apiRequests().at(-1)!.headers.authorization).toBeUndefined();
    expect((await axios.get(`${oauth.url}/api/whoami`, plain)).status).toBe(401);
    expect(apiRequests().at(-1)!.headers.authorization).toBeUndefined();
  });
});
