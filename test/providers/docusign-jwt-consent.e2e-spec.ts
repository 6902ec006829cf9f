import { randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  AuthorizationFlowService,
  AuthorizationStateError,
  ConnectionsService,
  SigningAuthModule,
  SigningAuthReauthRequiredError,
  TokenService,
} from 'signing-auth';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { rsaKeyPair } from './strategy-test-kit.js';

const PUBLIC_URL = 'http://127.0.0.1:3999';
const CALLBACK = `${PUBLIC_URL}/signing-auth/oauth/docusign/callback`;
const IK = randomUUID();
const DAY_MS = 86_400_000;

/**
 * Decision 009: the consent URL a `consent_required` failure hands out must come back through our
 * callback (it carries a state), and that callback alone must leave the connection active.
 */
describe('DocuSign JWT consent link: consent_required → open the URL → callback → active', () => {
  const keys = rsaKeyPair('pkcs1');
  let db: TestDatabase;
  let app: TestingModule;
  let emu: DocuSignEmulator;
  let tokens: TokenService;
  let connections: ConnectionsService;
  let flow: AuthorizationFlowService;
  let clockOffsetMs = 0;
  const clock = (): Date => new Date(Date.now() + clockOffsetMs);

  beforeAll(async () => {
    emu = await startDocuSignEmulator({
      clients: [{ clientId: IK, publicKey: keys.publicKey, redirectUris: [CALLBACK] }],
    });
    db = await createTestDatabase();
    app = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        SigningAuthModule.forRoot({
          encryptionKeys: [newKey('k1')],
          publicUrl: PUBLIC_URL,
          hosts: { docusignOAuthUrl: emu.url },
          sweep: { enabled: false },
          clock,
        }),
      ],
    }).compile();
    await app.init();
    tokens = app.get(TokenService);
    connections = app.get(ConnectionsService);
    flow = app.get(AuthorizationFlowService);
  });
  afterEach(() => {
    clockOffsetMs = 0;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await emu?.close();
  });

  async function jwtConnection(tenantId: string, config: Record<string, unknown> = {}) {
    const user = randomUUID();
    const account = randomUUID();
    emu.addUser({ sub: user, email: `${tenantId}@example.test`, accounts: [{ account_id: account }] });
    await connections.upsert(tenantId, 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: user, ...config },
      secrets: { privateKey: keys.privateKey },
    });
    return { user, account };
  }

  async function consentUrlOf(tenantId: string): Promise<URL> {
    const error = await tokens.getAccessToken(tenantId, 'docusign').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningAuthReauthRequiredError);
    const url = (error as SigningAuthReauthRequiredError).consentUrl;
    const view = await connections.get(tenantId, 'docusign');
    expect(view.status).toBe('needs_reauth');
    expect(view.metadata.consentUrl).toBe(url);
    return new URL(url ?? '');
  }

  /** The browser leg: DocuSign's 302 back to our callback. */
  async function follow(url: URL): Promise<Record<string, string>> {
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
    return Object.fromEntries(back.searchParams);
  }

  it('completes individual consent through the callback alone, with state and login_hint', async () => {
    const { user, account } = await jwtConnection('acme', { loginHint: 'acme@example.test' });
    const url = await consentUrlOf('acme');
    expect(`${url.origin}${url.pathname}`).toBe(`${emu.url}/oauth/auth`);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('scope')).toBe('signature impersonation');
    expect(url.searchParams.get('login_hint')).toBe('acme@example.test');
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);

    const callback = await follow(url);
    const view = await flow.complete('docusign', callback);
    expect(view).toMatchObject({ status: 'active', metadata: { accountId: account, userId: user } });
    expect(view.metadata.consentUrl).toBeUndefined();
    // No "refresh now", no other call: the connection serves tokens.
    const token = await tokens.getAccessToken('acme', 'docusign');
    expect(emu.isAccessTokenValid(token.accessToken)).toBe(true);
    // The link is single use.
    await expect(flow.complete('docusign', callback)).rejects.toBeInstanceOf(AuthorizationStateError);
  });

  it('keeps a consent link valid for days (default 7), not ten minutes like a connect flow', async () => {
    emu.setApprovingUser((await jwtConnection('too-late')).user);
    const stale = await consentUrlOf('too-late');
    emu.setApprovingUser((await jwtConnection('late')).user);
    const url = await consentUrlOf('late');

    clockOffsetMs = 8 * DAY_MS;
    const error = await flow.complete('docusign', await follow(stale)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AuthorizationStateError', reason: 'expired' });
    clockOffsetMs = 3 * DAY_MS;
    expect((await flow.complete('docusign', await follow(url))).status).toBe('active');
    emu.setApprovingUser(undefined);
  });

  it('offers admin consent for an organization: scope=openid plus admin_consent_scope', async () => {
    const { account } = await jwtConnection('org', { consent: 'admin' });
    const url = await consentUrlOf('org');
    expect(url.searchParams.get('scope')).toBe('openid');
    expect(url.searchParams.get('admin_consent_scope')).toBe('signature impersonation');
    expect(url.searchParams.get('login_hint')).toBeNull();
    const before = emu.stats.adminConsents;
    const view = await flow.complete('docusign', await follow(url));
    expect(emu.stats.adminConsents).toBe(before + 1);
    expect(view).toMatchObject({ status: 'active', metadata: { accountId: account } });
  });

  it('refuses login_hint and admin consent on a code-grant connection, naming the field', async () => {
    await expect(
      connections.upsert('code', 'docusign', {
        config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code', consent: 'admin' },
        secrets: { secretKey: 's3cret' },
      }),
    ).rejects.toThrow(/config\.consent/);
  });
});
