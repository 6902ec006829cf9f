import { createHash, randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  AuthorizationFlowService,
  AuthorizationNotSupportedError,
  AuthorizationStateError,
  ConnectionsService,
  ProviderAuthorizationError,
  ProviderFailure,
  SigningAuthModule,
  StrategyRegistry,
} from 'signing-auth';
import { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import { ConnectionRepository } from '../../libs/signing-auth/src/connections/connection.repository.js';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { rsaKeyPair } from './strategy-test-kit.js';

const PUBLIC_URL = 'http://127.0.0.1:3999';
const CALLBACK = `${PUBLIC_URL}/signing-auth/oauth/docusign/callback`;
const IK = randomUUID();
const SECRET = `CANARY-ds-secret-${randomUUID()}`;
const USER = randomUUID();
const ACCOUNT = randomUUID();

describe('DocuSign connect flow (authorization URL → code exchange → userinfo → refresh) on a real database', () => {
  let db: TestDatabase;
  let app: TestingModule;
  let emu: DocuSignEmulator;
  let flow: AuthorizationFlowService;
  let connections: ConnectionsService;
  let repository: ConnectionRepository;
  let dataSource: DataSource;
  let clockOffsetMs = 0;
  const clock = (): Date => new Date(Date.now() + clockOffsetMs);

  beforeAll(async () => {
    emu = await startDocuSignEmulator({
      clients: [{ clientId: IK, secret: SECRET, redirectUris: [CALLBACK] }],
      users: [
        {
          sub: USER,
          accounts: [{ account_id: ACCOUNT, account_name: 'Acme', base_uri: 'https://demo.docusign.net' }],
        },
      ],
    });
    db = await createTestDatabase();
    app = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        SigningAuthModule.forRoot({
          encryptionKeys: [newKey('k1')],
          publicUrl: PUBLIC_URL,
          hosts: { docusignOAuthUrl: emu.url },
          clock,
        }),
      ],
    }).compile();
    await app.init();
    flow = app.get(AuthorizationFlowService);
    connections = app.get(ConnectionsService);
    repository = app.get(ConnectionRepository);
    dataSource = app.get(getDataSourceToken());
  });
  afterEach(() => {
    clockOffsetMs = 0;
    emu.denyAuthorizations(false);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await emu?.close();
  });

  async function createConnection(tenantId: string): Promise<void> {
    const view = await connections.upsert(tenantId, 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code' },
      secrets: { secretKey: SECRET },
    });
    expect(view.status).toBe('pending');
  }

  /** The browser leg: follow the authorization URL to the emulator's 302 onto our callback. */
  async function approve(authorizationUrl: string): Promise<URL> {
    const res = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const callback = new URL(res.headers.get('location') ?? '');
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    return callback;
  }

  const params = (callback: URL) => Object.fromEntries(callback.searchParams) as Record<string, string>;

  it('connects, records the account and base URI, and stores each rotated refresh token', async () => {
    await createConnection('acme');
    const started = await flow.start('acme', 'docusign');
    expect(started.authorizationUrl.startsWith(`${emu.url}/oauth/auth?`)).toBe(true);
    expect(Date.parse(started.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    const state = new URL(started.authorizationUrl).searchParams.get('state')!;
    expect(Buffer.from(state, 'base64url').length).toBeGreaterThanOrEqual(16);

    // Only the state's hash and the verifier's ciphertext are stored.
    const [pending] = await dataSource.query(
      `SELECT * FROM signing_auth_pending_authorizations WHERE tenant_id = 'acme'`,
    );
    expect(pending.state_hash).toBe(createHash('sha256').update(state).digest('hex'));
    expect(JSON.stringify(pending)).not.toContain(state);

    const callback = await approve(started.authorizationUrl);
    const view = await flow.complete('docusign', params(callback));
    expect(view).toMatchObject({
      tenantId: 'acme',
      provider: 'docusign',
      status: 'active',
      failureCount: 0,
      metadata: {
        accountId: ACCOUNT,
        accountName: 'Acme',
        userId: USER,
        baseUri: 'https://demo.docusign.net',
      },
    });
    expect(Date.parse(view.refreshTokenExpiresAt!) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(Date.parse(view.accessTokenExpiresAt!) - Date.now()).toBeGreaterThan(7 * 3_600_000);
    const exchange = emu.requests.find((r) => r.body.grant_type === 'authorization_code')!;
    expect(JSON.stringify(pending)).not.toContain(String(exchange.body.code_verifier));

    const cipher = app.get(ConnectionCipher);
    const stored = cipher.decryptRow((await repository.findOne('acme', 'docusign'))!);
    const firstRefreshToken = stored.refreshToken!;
    expect(firstRefreshToken).toEqual(expect.any(String));
    const dump = JSON.stringify(await dataSource.query(`SELECT * FROM signing_auth_connections`));
    for (const secret of [SECRET, firstRefreshToken, stored.accessToken!]) expect(dump).not.toContain(secret);

    // Refresh with the stored token; store the rotated one (the token lifecycle does this write in the app).
    const strategy = app.get(StrategyRegistry).get('docusign');
    const ctx = { signal: new AbortController().signal, now: clock };
    const rotated = await strategy.refresh(stored, ctx);
    expect(rotated.refreshToken).not.toBe(firstRefreshToken);
    await repository.storeConnectedGrant('acme', 'docusign', rotated, undefined, clock());
    const afterRotation = cipher.decryptRow((await repository.findOne('acme', 'docusign'))!);
    expect(afterRotation.refreshToken).toBe(rotated.refreshToken);
    expect(afterRotation.row.version).toBe(stored.row.version + 1);
    expect(afterRotation.metadata).toMatchObject({
      accountId: ACCOUNT,
      baseUri: 'https://demo.docusign.net',
    });

    // The next refresh uses the newest token; the first one was sent exactly once.
    await strategy.refresh(afterRotation, ctx);
    expect(emu.requests.filter((r) => r.body.refresh_token === firstRefreshToken)).toHaveLength(1);
    expect(emu.stats.reuseDetections).toBe(0);
  });

  it('refuses a replayed, unknown, expired or other-provider state and stores nothing', async () => {
    await createConnection('replay');
    const callback = await approve((await flow.start('replay', 'docusign')).authorizationUrl);
    await flow.complete('docusign', params(callback));
    const before = await repository.findOne('replay', 'docusign');
    await expect(flow.complete('docusign', params(callback))).rejects.toMatchObject({
      name: 'AuthorizationStateError',
      reason: 'replayed',
      tenantId: 'replay',
    });
    expect((await repository.findOne('replay', 'docusign'))!.version).toBe(before!.version);

    await expect(flow.complete('docusign', { code: 'c', state: 'made-up' })).rejects.toMatchObject({
      reason: 'unknown',
    });
    await expect(flow.complete('docusign', { code: 'c' })).rejects.toBeInstanceOf(AuthorizationStateError);

    await createConnection('late');
    const late = await approve((await flow.start('late', 'docusign')).authorizationUrl);
    clockOffsetMs = 11 * 60_000;
    await expect(flow.complete('docusign', params(late))).rejects.toMatchObject({ reason: 'expired' });
    clockOffsetMs = 0;

    await createConnection('mixup');
    const mixup = await approve((await flow.start('mixup', 'docusign')).authorizationUrl);
    await expect(flow.complete('oauth2', params(mixup))).rejects.toMatchObject({ reason: 'wrong_provider' });
    // The state is burned: it cannot be carried over to the right callback afterwards.
    await expect(flow.complete('docusign', params(mixup))).rejects.toMatchObject({ reason: 'replayed' });
    for (const tenant of ['late', 'mixup'])
      expect((await connections.get(tenant, 'docusign')).status).toBe('pending');
  });

  it('lets exactly one of two racing callbacks with the same state exchange the code', async () => {
    await createConnection('race');
    const callback = await approve((await flow.start('race', 'docusign')).authorizationUrl);
    const exchangesBefore = emu.stats.tokenRequests.authorization_code ?? 0;
    const results = await Promise.allSettled([
      flow.complete('docusign', params(callback)),
      flow.complete('docusign', params(callback)),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(rejected.reason).toMatchObject({ name: 'AuthorizationStateError', reason: 'replayed' });
    expect(emu.stats.tokenRequests.authorization_code).toBe(exchangesBefore + 1);
  });

  it('surfaces a provider error on the callback and a failed exchange, storing nothing', async () => {
    await createConnection('declined');
    emu.denyAuthorizations(true);
    const declined = await approve((await flow.start('declined', 'docusign')).authorizationUrl);
    const error = await flow.complete('docusign', params(declined)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderAuthorizationError);
    expect(error).toMatchObject({ error: 'access_denied', tenantId: 'declined' });
    expect((await connections.get('declined', 'docusign')).status).toBe('pending');

    emu.denyAuthorizations(false);
    const callback = await approve((await flow.start('declined', 'docusign')).authorizationUrl);
    const failure = await flow
      .complete('docusign', { ...params(callback), code: 'not-a-code' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderFailure);
    expect((failure as ProviderFailure).kind).toBe('needs_reauth');
    expect(JSON.stringify(failure) + (failure as Error).message).not.toContain(SECRET);
    expect((await connections.get('declined', 'docusign')).status).toBe('pending');
  });

  it('JWT: the connect flow records consent, then the first token comes from the JWT grant', async () => {
    const keys = rsaKeyPair();
    emu.registerClient({ clientId: IK, secret: SECRET, redirectUris: [CALLBACK], publicKey: keys.publicKey });
    emu.revokeConsent(IK, USER);
    const view = await connections.upsert('jwt', 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: USER },
      secrets: { privateKey: keys.privateKey },
    });
    // Verified on save: DocuSign answers consent_required, so the connection waits for consent with a link.
    expect(view).toMatchObject({ status: 'needs_reauth', metadata: { consentUrl: expect.any(String) } });
    const { authorizationUrl } = await flow.start('jwt', 'docusign');
    expect(new URL(authorizationUrl).searchParams.get('scope')).toBe('signature impersonation');
    const connected = await flow.complete('docusign', params(await approve(authorizationUrl)));
    expect(connected).toMatchObject({
      status: 'active',
      refreshTokenExpiresAt: null,
      metadata: { accountId: ACCOUNT },
    });
    const stored = app.get(ConnectionCipher).decryptRow((await repository.findOne('jwt', 'docusign'))!);
    expect(stored.refreshToken).toBeNull();
    expect(emu.isAccessTokenValid(stored.accessToken!)).toBe(true);
  });

  it('refuses to start a flow for a connection without user consent (client credentials)', async () => {
    await connections.upsert('cc', 'formstack-sign', {
      config: { clientId: 'c', grant: 'client_credentials' },
      secrets: { clientSecret: 's' },
    });
    await expect(flow.start('cc', 'formstack-sign')).rejects.toBeInstanceOf(AuthorizationNotSupportedError);
  });
});
