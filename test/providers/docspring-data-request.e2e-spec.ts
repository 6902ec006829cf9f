import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import docspring from 'docspring';
import {
  ConnectionNotFoundError,
  ConnectionsService,
  ConnectionVerificationError,
  DocSpringCredentialsError,
  DocSpringDataRequestNotFoundError,
  DocSpringDataRequestService,
  DocSpringInvalidTokenTypeError,
  ProviderFailure,
  SigningAuthModule,
  StrategyRegistry,
} from 'signing-auth';
import { startDocSpringEmulator, type DocSpringEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

// Characters that base64/URL/form encoders treat differently, to make "byte-for-byte" mean something.
const TOKEN_ID = 'api_tok_Ab12+/=é';
const TOKEN_SECRET = 'CANARY-dsp-secret+/=:%é✓';

describe('DocSpring: Basic credentials and data-request tokens', () => {
  let db: TestDatabase;
  let app: TestingModule;
  let emu: DocSpringEmulator;
  let service: DocSpringDataRequestService;

  beforeAll(async () => {
    emu = await startDocSpringEmulator({
      apiTokens: [{ id: TOKEN_ID, secret: TOKEN_SECRET }],
      dataRequests: ['drq_123'],
    });
    db = await createTestDatabase();
    app = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        SigningAuthModule.forRoot({ encryptionKeys: [newKey('k1')], hosts: { docspringApiUrl: emu.url } }),
      ],
    }).compile();
    await app.init();
    service = app.get(DocSpringDataRequestService);
    const view = await app.get(ConnectionsService).upsert('acme', 'docspring', {
      config: { region: 'eu', tokenId: TOKEN_ID },
      secrets: { tokenSecret: TOKEN_SECRET },
    });
    expect(view).toMatchObject({ status: 'active', grantType: 'api_token' });
  });
  afterEach(() => emu.clearFailures());
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await emu?.close();
  });

  it('creates a token (201) and returns id, secret, expiry and the pre-authenticated form URL', async () => {
    const token = await service.createToken('acme', 'drq_123', { type: 'email' });
    expect(token).toEqual({
      id: expect.any(String),
      secret: expect.any(String),
      expiresAt: expect.stringMatching(/Z$/),
      dataRequestUrl: expect.stringContaining('/data_requests/drq_123?token_id='),
    });
    expect(Date.parse(token.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(emu.isDataRequestTokenValid(token.id, token.secret)).toBe(true);
    const req = emu.requests.at(-1)!;
    expect(req).toMatchObject({
      method: 'POST',
      path: '/api/v1/data_requests/drq_123/tokens',
      query: { type: 'email' },
    });
    expect((await service.createToken('acme', 'drq_123')).expiresAt).toEqual(expect.any(String));
    expect(emu.requests.at(-1)!.query.type).toBe('api');
  });

  it('sends byte-for-byte the Basic header of the official docspring client', async () => {
    await service.createToken('acme', 'drq_123', { type: 'api' });
    const ours = emu.lastAuthorizationHeader;
    const client = new docspring.Client({
      apiTokenId: TOKEN_ID,
      apiTokenSecret: TOKEN_SECRET,
      host: emu.url,
      apiClient: new docspring.ApiClient(),
    });
    await new Promise<void>((resolve, reject) =>
      client.createDataRequestToken('drq_123', { type: 'api' }, (error: unknown) =>
        error ? reject(error) : resolve(),
      ),
    );
    const theirs = emu.lastAuthorizationHeader;
    expect(theirs).toMatch(/^Basic /);
    expect(ours).toBe(theirs);
    // And the header the module's strategy hands to the HTTP layer is the same.
    const strategy = app.get(StrategyRegistry).get('docspring');
    const grant = await strategy.refresh(
      {
        tenantId: 'acme',
        provider: 'docspring',
        config: { region: 'eu', tokenId: TOKEN_ID },
        secrets: { tokenSecret: TOKEN_SECRET },
        metadata: {},
      },
      { signal: new AbortController().signal, now: () => new Date() },
    );
    expect(grant).toMatchObject({ tokenType: 'Basic', expiresAt: null });
    expect(strategy.authorizationHeader(grant)).toBe(theirs);
  });

  it('maps 401, 404 and 422 to typed errors, never quoting the secret', async () => {
    // A wrong secret is refused when saved (verified on save), without quoting it.
    const rejected = await app
      .get(ConnectionsService)
      .upsert('wrong', 'docspring', {
        config: { region: 'us', tokenId: TOKEN_ID },
        secrets: { tokenSecret: 'CANARY-not-the-secret' },
      })
      .catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(ConnectionVerificationError);
    expect((rejected as Error).message).toContain('Invalid API token secret');
    expect((rejected as Error).message).not.toContain('CANARY-not-the-secret');
    // A secret that stops working after it was saved (rotated at DocSpring) surfaces on use.
    const ROTATED = `rotated-${TOKEN_ID}`;
    emu.addApiToken({ id: ROTATED, secret: 'CANARY-not-the-secret' });
    await app.get(ConnectionsService).upsert('wrong', 'docspring', {
      config: { region: 'us', tokenId: ROTATED },
      secrets: { tokenSecret: 'CANARY-not-the-secret' },
    });
    emu.addApiToken({ id: ROTATED, secret: 'the-new-secret' });
    const refused = await service.createToken('wrong', 'drq_123').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DocSpringCredentialsError);
    expect((refused as Error).message).toContain('Invalid API token secret');
    expect((refused as Error).message).not.toContain('CANARY-not-the-secret');

    await expect(service.createToken('acme', 'drq_missing')).rejects.toBeInstanceOf(
      DocSpringDataRequestNotFoundError,
    );
    const badType = await service
      .createToken('acme', 'drq_123', { type: 'forever' as never })
      .catch((e: unknown) => e);
    expect(badType).toBeInstanceOf(DocSpringInvalidTokenTypeError);
    expect((badType as Error).message).toContain('Must be one of');
    await expect(service.createToken('nobody', 'drq_123')).rejects.toBeInstanceOf(ConnectionNotFoundError);
  });

  it('outages are transient ProviderFailures', async () => {
    emu.failNext({ status: 503, retryAfterSeconds: 2 });
    const outage = await service.createToken('acme', 'drq_123').catch((e: unknown) => e);
    expect(outage).toBeInstanceOf(ProviderFailure);
    expect(outage).toMatchObject({ kind: 'transient', details: { retryAfterMs: 2000 } });
    emu.failNext({ drop: true });
    await expect(service.createToken('acme', 'drq_123')).rejects.toMatchObject({ kind: 'transient' });
  });

  it('validates the connection: region enum, no unknown fields', async () => {
    const upsert = (config: unknown, secrets: unknown) =>
      app.get(ConnectionsService).upsert('v', 'docspring', { config, secrets });
    await expect(upsert({ region: 'asia', tokenId: 'x' }, { tokenSecret: 's' })).rejects.toMatchObject({
      field: 'config.region',
    });
    await expect(
      upsert({ region: 'us', tokenId: 'x' }, { tokenSecret: 's', other: 1 }),
    ).rejects.toMatchObject({ field: 'secrets.other' });
    await expect(upsert({ region: 'us' }, { tokenSecret: 's' })).rejects.toMatchObject({
      field: 'config.tokenId',
    });
  });
});
