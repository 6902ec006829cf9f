/**
 * Decision 027: a signed call is bounded. For `oauth2` the API origins are the tenant's own
 * (`config.apiBaseUrls`), so a tenant's server must not be able to hang the host's requests, fill its
 * memory with a decompression bomb, or rebind its name to an internal address between save and connect.
 * Real local servers throughout; DNS is the only thing replaced (a resolver the test controls).
 */
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
import { gzipSync } from 'node:zlib';
import {
  ConnectionsService,
  SigningAuthHostError,
  SigningAuthHttpService,
  SigningAuthModule,
} from 'signing-auth';
import { resolveOptions } from '../../libs/signing-auth/src/common/resolved-options.js';
import { SIGNED_CALL_NETWORK_POLICY } from '../../libs/signing-auth/src/http/signed-call-network.js';
import { NetworkPolicy, type LookupFunction } from '../../libs/signing-auth/src/network/network-policy.js';
import { startOAuth2Emulator, type OAuth2Emulator } from '../emulators/index.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

const MiB = 2 ** 20;
/** 100 MiB of zeros, gzipped: about 100 KB on the wire. */
const BOMB = gzipSync(Buffer.alloc(100 * MiB));
/** A 10 MiB "document": over the test app's 8 MiB default, under a per-call cap of 16 MiB. */
const DOCUMENT = Buffer.alloc(10 * MiB, 0x25);

/** A tenant's hostile API server: `/hang` never answers, `/bomb` sends the gzip bomb, anything else 200. */
async function startHostileServer(): Promise<RecordingServer> {
  return startRecordingServer((req, res) => {
    if (req.url === '/hang') return; // headers never come
    if (req.url === '/document') {
      res.writeHead(200, { 'content-type': 'application/pdf' }).end(DOCUMENT);
      return;
    }
    if (req.url === '/bomb') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(BOMB);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
}

async function startApp(
  db: TestDatabase,
  http: Record<string, unknown>,
  policy?: NetworkPolicy,
): Promise<TestingModule> {
  let builder = Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot(db.options),
      SigningAuthModule.forRoot({
        encryptionKeys: [newKey('k1')],
        sweep: { enabled: false },
        verifyOnSave: false,
        http,
      }),
    ],
  });
  if (policy) builder = builder.overrideProvider(SIGNED_CALL_NETWORK_POLICY).useValue(policy);
  const app = await builder.compile();
  await app.init();
  return app;
}

async function connectOAuth2(app: TestingModule, oauth: OAuth2Emulator, tenant: string, apiBaseUrl: string) {
  await app.get(ConnectionsService).upsert(tenant, 'oauth2', {
    config: {
      tokenUrl: oauth.tokenUrl,
      apiBaseUrls: [apiBaseUrl],
      clientId: 'client-1',
      grant: 'client_credentials',
    },
    secrets: { clientSecret: 'secret-1' },
  });
}

describe('SigningAuthHttpService bounds: timeout and response cap by default', () => {
  it('defaults: 30 s timeout, 50 MiB response cap (decompressed bytes count)', () => {
    const options = resolveOptions(
      { encryptionKeys: [newKey('k1')] },
      { routePrefix: 'signing-auth', adminApi: false },
    );
    expect(options.http).toMatchObject({ timeoutMs: 30_000, maxResponseBytes: 50 * MiB });
  });

  it('bad bounds fail at bootstrap, naming the option', () => {
    const resolve = (http: Record<string, unknown>) => () =>
      resolveOptions(
        { encryptionKeys: [newKey('k1')], http },
        { routePrefix: 'signing-auth', adminApi: false },
      );
    expect(resolve({ timeoutMs: -1 })).toThrow(/http\.timeoutMs must be a whole number of at least 0/);
    expect(resolve({ maxResponseBytes: 0 })).toThrow(
      /http\.maxResponseBytes must be a whole number of at least 1/,
    );
    expect(resolve({ maxResponseBytes: 1.5 })).toThrow(/http\.maxResponseBytes/);
    expect(resolve({ rateLimit: { whenSpent: 'queue' } })).toThrow(/http\.rateLimit\.whenSpent/);
    expect(resolve({ rateLimit: { lowFraction: 2 } })).toThrow(/http\.rateLimit\.lowFraction/);
  });
});

describe('SigningAuthHttpService against a hostile tenant API server', () => {
  let db: TestDatabase;
  let oauth: OAuth2Emulator;
  let hostile: RecordingServer;
  let app: TestingModule;
  let http: SigningAuthHttpService;

  beforeAll(async () => {
    db = await createTestDatabase();
    oauth = await startOAuth2Emulator({ clients: [{ clientId: 'client-1', secret: 'secret-1' }] });
    hostile = await startHostileServer();
    app = await startApp(db, { timeoutMs: 500, maxResponseBytes: 8 * MiB });
    http = app.get(SigningAuthHttpService);
    await connectOAuth2(app, oauth, 'hostile', hostile.url);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([oauth?.close(), hostile?.close(), db?.close()]);
  });

  const signedGet = (path: string, extra: Record<string, unknown> = {}) =>
    firstValueFrom(
      http.get(`${hostile.url}${path}`, {
        signingAuth: { tenantId: 'hostile', provider: 'oauth2' },
        ...extra,
      }),
    );
  /** The request's outcome, or 'still pending' after `ms` (today's behaviour: no timeout at all). */
  const settleWithin = (promise: Promise<unknown>, ms: number) =>
    Promise.race([
      promise.then(
        () => 'answered',
        (error: unknown) => error,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still pending'), ms).unref()),
    ]);

  it('the module options become the client defaults', () => {
    expect(http.axiosRef.defaults.timeout).toBe(500);
    expect(http.axiosRef.defaults.maxContentLength).toBe(8 * MiB);
  });

  it('a server that never answers: a timeout error (module default), and a per-call timeout wins', async () => {
    const started = Date.now();
    const error = await settleWithin(signedGet('/hang'), 5_000);
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).code).toBe('ECONNABORTED');
    expect((error as AxiosError).message).toMatch(/timeout of 500ms exceeded/);
    expect(Date.now() - started).toBeLessThan(3_000);

    const quick = Date.now();
    const perCall = await settleWithin(signedGet('/hang', { timeout: 100 }), 5_000);
    expect((perCall as AxiosError).message).toMatch(/timeout of 100ms exceeded/);
    expect(Date.now() - quick).toBeLessThan(450);
  });

  it('a document larger than the default cap: refused by default, fetched with a per-call maxContentLength', async () => {
    const refused = await settleWithin(signedGet('/document'), 10_000);
    expect((refused as AxiosError).message).toMatch(/maxContentLength size of 8388608 exceeded/);
    const fetched = await signedGet('/document', { responseType: 'arraybuffer', maxContentLength: 16 * MiB });
    expect((fetched.data as ArrayBuffer).byteLength).toBe(10 * MiB);
  });

  it('a 100 KB gzip body expanding to 100 MiB is refused at the cap, with bounded memory', async () => {
    expect(BOMB.length).toBeLessThan(200_000);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const error = await settleWithin(signedGet('/bomb'), 20_000);
    const grownMiB = (process.memoryUsage().rss - rssBefore) / MiB;
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).message).toMatch(/maxContentLength size of 8388608 exceeded/);
    expect(grownMiB).toBeLessThan(40);
  });
});

describe('SigningAuthHttpService: tenant API origins connect through the checking lookup', () => {
  let db: TestDatabase;
  let oauth: OAuth2Emulator;
  let api: RecordingServer;
  let app: TestingModule;
  let answer = '10.0.0.5';
  const lookups: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    oauth = await startOAuth2Emulator({ clients: [{ clientId: 'client-1', secret: 'secret-1' }] });
    api = await startRecordingServer();
    // The tenant's host name, answered by the test: what DNS says at the moment the socket connects.
    const rebinding: LookupFunction = (hostname, options, callback) => {
      lookups.push(hostname);
      if (options.all) callback(null, [{ address: answer, family: 4 }]);
      else callback(null, answer, 4);
    };
    // Development mode (loopback allowed, private networks not), as the tests run.
    const policy = new NetworkPolicy({ developmentMode: true, allowPrivateNetworks: false }, rebinding);
    app = await startApp(db, {}, policy);
    // Saved while the name resolves to the (allowed) loopback API server.
    await connectOAuth2(app, oauth, 'rebinder', `http://localhost:${new URL(api.url).port}`);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([oauth?.close(), api?.close(), db?.close()]);
  });

  const signedGet = () =>
    firstValueFrom(
      app.get(SigningAuthHttpService).get(`http://localhost:${new URL(api.url).port}/v1/things`, {
        signingAuth: { tenantId: 'rebinder', provider: 'oauth2' },
      }),
    );

  it('a name that rebinds to a private address at connect time is refused: typed error, nothing sent', async () => {
    answer = '10.0.0.5';
    const error = await signedGet().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningAuthHostError);
    expect(error).toMatchObject({ tenantId: 'rebinder', provider: 'oauth2' });
    expect((error as Error).message).toMatch(/resolves to a private, link-local or multicast address/);
    expect(JSON.stringify(error)).not.toContain('Bearer');
    expect(lookups).toContain('localhost');
    expect(api.requests).toHaveLength(0);
  });

  it('the same name answering an allowed address goes out (the lookup decides, not the URL)', async () => {
    answer = '127.0.0.1';
    const res = await signedGet();
    expect(res.status).toBe(200);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0].headers.authorization).toMatch(/^Bearer /);
  });
});
