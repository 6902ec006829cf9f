import { jest } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import {
  ConnectionsService,
  SigningAuthHostError,
  SigningAuthHttpService,
  StrategyRegistry,
  TokenService,
} from 'signing-auth';
import { startOAuth2Emulator, type OAuth2Emulator } from '../emulators/index.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { rejectionOf, startHttpTestApp, type HttpTestApp } from './http-test-app.js';

/**
 * What a signed call derives from the connection (its allowed origins, parsed; the `Authorization` value)
 * is derived once per token, not per request (issue 22: the library's own cost per signed request), and
 * never outlives the token or the connection it came from.
 */
describe('Signing plan: per-token work is done once per token, and only for that token', () => {
  let oauth: OAuth2Emulator;
  let api: RecordingServer;
  let other: RecordingServer;
  let t: HttpTestApp;
  let http: SigningAuthHttpService;
  let connections: ConnectionsService;
  const acme = { tenantId: 'acme', provider: 'oauth2' };

  const connect = (apiBaseUrls: string[]) =>
    connections.upsert('acme', 'oauth2', {
      config: { tokenUrl: oauth.tokenUrl, apiBaseUrls, clientId: 'client-acme', grant: 'client_credentials' },
      secrets: { clientSecret: 'acme-secret' },
    });

  beforeAll(async () => {
    oauth = await startOAuth2Emulator({ clients: [{ clientId: 'client-acme', secret: 'acme-secret' }] });
    api = await startRecordingServer();
    other = await startRecordingServer();
    t = await startHttpTestApp({});
    http = t.app.get(SigningAuthHttpService);
    connections = t.app.get(ConnectionsService);
    await connect([api.url]);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([oauth, api, other].map((s) => s?.close()));
  });

  it('20 signed calls with one token ask the strategy for its origins and its header once', async () => {
    const strategy = t.app.get(StrategyRegistry).get('oauth2');
    await firstValueFrom(http.get(`${api.url}/warm`, { signingAuth: acme })); // the token is cached now
    const origins = jest.spyOn(strategy, 'credentialOrigins');
    const header = jest.spyOn(strategy, 'authorizationHeader');
    try {
      for (let i = 0; i < 20; i++) {
        const res = await firstValueFrom(http.get(`${api.url}/data?i=${i}`, { signingAuth: acme }));
        expect(res.status).toBe(200);
      }
      expect(origins.mock.calls.length).toBeLessThanOrEqual(1);
      expect(header.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      origins.mockRestore();
      header.mockRestore();
    }
    const token = (await t.app.get(TokenService).getAccessToken('acme', 'oauth2')).accessToken;
    expect(api.requests.slice(-20).map((r) => r.headers.authorization)).toEqual(
      Array(20).fill(`Bearer ${token}`),
    );
  });

  it('a connection whose API base URL changed signs the new origin and refuses the old one at once', async () => {
    await firstValueFrom(http.get(`${api.url}/before`, { signingAuth: acme }));
    await connect([other.url]);
    const sentBefore = api.requests.length;
    const refused = await rejectionOf(() =>
      firstValueFrom(http.get(`${api.url}/after`, { signingAuth: acme })),
    );
    expect(refused).toBeInstanceOf(SigningAuthHostError);
    expect(api.requests.length).toBe(sentBefore);
    const res = await firstValueFrom(http.get(`${other.url}/after`, { signingAuth: acme }));
    expect(res.status).toBe(200);
    const token = (await t.app.get(TokenService).getAccessToken('acme', 'oauth2')).accessToken;
    expect(other.requests.at(-1)!.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('URLs that merely start like an allowed origin are judged in full, not by their prefix', async () => {
    const port = Number(new URL(other.url).port);
    for (const url of [
      `${other.url}@127.0.0.2:${port}/x`, // userinfo: the host is 127.0.0.2
      `${other.url}0/x`, // another port
      `${other.url}.evil.example/x`,
      `${other.url.replace('127.0.0.1', '127.0.0.1.nip.io')}/x`,
    ]) {
      const error = await rejectionOf(() => firstValueFrom(http.get(url, { signingAuth: acme })));
      expect(error).toBeInstanceOf(SigningAuthHostError);
    }
    // Spelled differently, the same origin is allowed (the full parse agrees with the prefix).
    const upper = other.url.replace('http://', 'HTTP://');
    expect((await firstValueFrom(http.get(`${upper}/x`, { signingAuth: acme }))).status).toBe(200);
    expect((await firstValueFrom(http.get(other.url, { signingAuth: acme }))).status).toBe(200);
    expect((await firstValueFrom(http.get(`${other.url}?q=1`, { signingAuth: acme }))).status).toBe(200);
  });

  it('a signed answer keeps `request` readable, its raw header redacted, and out of its own properties', async () => {
    const res = await firstValueFrom(http.get(`${other.url}/whoami`, { signingAuth: acme }));
    const token = (await t.app.get(TokenService).getAccessToken('acme', 'oauth2')).accessToken;
    const request = res.request as { _header?: string; method?: string };
    expect(request.method).toBe('GET');
    expect(request._header).toContain('Authorization: [REDACTED]');
    expect(request._header).not.toContain(token);
    expect(Object.keys(res)).not.toContain('request');
    expect(Object.keys(res)).toEqual(expect.arrayContaining(['status', 'headers', 'config', 'data']));
    expect(res.config.headers.Authorization).toBe('[REDACTED]');
    expect(JSON.stringify({ ...res, config: undefined })).not.toContain(token);
  });

  it('a streamed answer without the size cap: the request reached through `data.req` holds no token', async () => {
    // With its own maxContentLength of -1, axios hands back node's response itself, whose `req` is the
    // request: a logger printing `data` must not find the header there, whether or not `request` is read.
    const res = await firstValueFrom(
      http.get(`${other.url}/stream`, { signingAuth: acme, responseType: 'stream', maxContentLength: -1 }),
    );
    const token = (await t.app.get(TokenService).getAccessToken('acme', 'oauth2')).accessToken;
    const stream = res.data as NodeJS.ReadableStream & { req?: { _header?: string } };
    expect(stream.req?._header).toContain('Authorization: [REDACTED]');
    expect(stream.req?._header).not.toContain(token);
    stream.resume();
  });
});
