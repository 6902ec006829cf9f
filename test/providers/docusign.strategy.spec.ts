import { createHash, randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ConnectionValidationError, type SigningAuthStrategy, type StrategyConnection } from 'signing-auth';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import {
  builtInStrategy,
  callbackUrl,
  connectionFor,
  context,
  expectNoSecrets,
  failureOf,
  rsaKeyPair,
} from './strategy-test-kit.js';

const IK = randomUUID();
// `+/=%` survive only if the Basic header carries the secret raw, as DocuSign's SDKs send it.
const SECRET = `CANARY-docusign+secret/=%-${randomUUID()}`;
const USER = randomUUID();
const ACCOUNT_A = randomUUID();
const ACCOUNT_B = randomUUID();
const keys = rsaKeyPair('pkcs1');

describe('DocuSign strategy against the emulator', () => {
  let emu: DocuSignEmulator;
  let strategy: SigningAuthStrategy;

  const codeConnection = (config: Record<string, unknown> = {}): StrategyConnection =>
    connectionFor(strategy, {
      config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code', ...config },
      secrets: { secretKey: SECRET },
    });
  const jwtConnection = (): StrategyConnection =>
    connectionFor(strategy, {
      config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: USER },
      secrets: { privateKey: keys.privateKey },
    });

  /** Runs the browser leg: follow the authorization URL to the emulator's 302 and read code + state. */
  async function authorize(connection: StrategyConnection, verifier = 'v'.repeat(43)) {
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const url = strategy.buildAuthorizationUrl!(connection, {
      redirectUri: callbackUrl('docusign'),
      state: 'state-123',
      codeChallenge: challenge,
    });
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    return {
      url,
      code: location.searchParams.get('code') ?? '',
      state: location.searchParams.get('state'),
      verifier,
    };
  }

  async function connect(connection: StrategyConnection, now = new Date()) {
    const { code, verifier } = await authorize(connection);
    return strategy.exchangeCode!(
      connection,
      { code, redirectUri: callbackUrl('docusign'), codeVerifier: verifier },
      context(now),
    );
  }

  beforeAll(async () => {
    emu = await startDocuSignEmulator({
      clients: [
        { clientId: IK, secret: SECRET, redirectUris: [callbackUrl('docusign')], publicKey: keys.publicKey },
      ],
      users: [
        {
          sub: USER,
          accounts: [
            {
              account_id: ACCOUNT_A,
              is_default: false,
              account_name: 'A',
              base_uri: 'https://na3.docusign.net',
            },
            {
              account_id: ACCOUNT_B,
              is_default: true,
              account_name: 'B',
              base_uri: 'https://demo.docusign.net',
            },
          ],
        },
      ],
    });
    strategy = builtInStrategy('docusign', { docusignOAuthUrl: emu.url }, { providerTimeoutMs: 300 });
  });
  afterEach(() => emu.clearFailures());
  afterAll(() => emu.close());

  describe('validate', () => {
    const valid = { environment: 'demo', integrationKey: IK, grant: 'authorization_code' };
    const fieldOf = (input: { config: unknown; secrets: unknown }): string => {
      try {
        strategy.validate(input);
      } catch (error) {
        expect(error).toBeInstanceOf(ConnectionValidationError);
        return (error as ConnectionValidationError).field;
      }
      throw new Error('expected a validation error');
    };

    it('names the offending field', () => {
      expect(
        fieldOf({ config: { ...valid, integrationKey: 'not-a-guid' }, secrets: { secretKey: 's' } }),
      ).toBe('config.integrationKey');
      expect(fieldOf({ config: { ...valid, environment: 'staging' }, secrets: { secretKey: 's' } })).toBe(
        'config.environment',
      );
      expect(fieldOf({ config: { ...valid, extra: 1 }, secrets: { secretKey: 's' } })).toBe('config.extra');
      expect(fieldOf({ config: valid, secrets: {} })).toBe('secrets.secretKey');
      expect(fieldOf({ config: valid, secrets: { secretKey: 's', privateKey: keys.privateKey } })).toBe(
        'secrets.privateKey',
      );
      expect(fieldOf({ config: { ...valid, grant: 'jwt' }, secrets: { privateKey: keys.privateKey } })).toBe(
        'config.userId',
      );
      expect(
        fieldOf({ config: { ...valid, grant: 'jwt', userId: USER }, secrets: { privateKey: 'not a pem' } }),
      ).toBe('secrets.privateKey');
      expect(fieldOf({ config: valid, secrets: 'x' })).toBe('secrets');
    });

    it('never quotes a secret value in a validation error', () => {
      try {
        strategy.validate({
          config: { ...valid, grant: 'jwt', userId: USER },
          secrets: {
            privateKey: `-----BEGIN RSA PRIVATE KEY-----\n${SECRET}\n-----END RSA PRIVATE KEY-----`,
          },
        });
        throw new Error('expected a validation error');
      } catch (error) {
        expect(error).toBeInstanceOf(ConnectionValidationError);
        expect((error as Error).message).not.toContain(SECRET);
      }
    });

    it('accepts both grants and defaults the scopes', () => {
      expect(strategy.validate({ config: valid, secrets: { secretKey: 's' } }).scopes).toEqual([
        'signature',
        'extended',
      ]);
      const jwt = strategy.validate({
        config: { ...valid, grant: 'jwt', userId: USER },
        secrets: { privateKey: rsaKeyPair('pkcs8').privateKey },
      });
      expect(jwt).toMatchObject({ grantType: 'jwt', scopes: ['signature', 'impersonation'] });
    });
  });

  it('builds the authorization URL with PKCE S256, state and %20-separated scopes on the overridden host', async () => {
    const { url, state } = await authorize(codeConnection());
    expect(url.startsWith(`${emu.url}/oauth/auth?`)).toBe(true);
    expect(url).toContain('scope=signature%20extended');
    expect(url).toContain('code_challenge_method=S256');
    expect(url).toContain(`redirect_uri=${encodeURIComponent(callbackUrl('docusign'))}`);
    expect(state).toBe('state-123');
  });

  it('exchanges the code with Basic auth and the verifier, and tracks the refresh token for 30 days', async () => {
    const now = new Date();
    const grant = await connect(codeConnection(), now);
    expect(grant.tokenType).toBe('Bearer');
    expect(grant.expiresAt?.getTime()).toBe(now.getTime() + 28_800_000);
    expect(grant.refreshToken).toEqual(expect.any(String));
    expect(grant.refreshTokenExpiresAt?.getTime()).toBe(now.getTime() + 30 * 86_400_000);
    const exchange = emu.requests.find((r) => r.body.grant_type === 'authorization_code')!;
    expect(exchange.headers.authorization).toBe(`Basic ${Buffer.from(`${IK}:${SECRET}`).toString('base64')}`);
    expect(exchange.body.code_verifier).toBe('v'.repeat(43));
    expect(exchange.body).not.toHaveProperty('redirect_uri');
  });

  it('records the default account from userinfo (is_default as boolean or string) or the configured one', async () => {
    const connection = codeConnection();
    const grant = await connect(connection);
    expect(await strategy.afterConnect!(connection, grant, context())).toEqual({
      accountId: ACCOUNT_B,
      accountName: 'B',
      userId: USER,
      baseUri: 'https://demo.docusign.net',
    });
    const named = codeConnection({ accountId: ACCOUNT_A });
    expect(await strategy.afterConnect!(named, grant, context())).toMatchObject({
      accountId: ACCOUNT_A,
      baseUri: 'https://na3.docusign.net',
    });
    const unknown = await failureOf(() =>
      strategy.afterConnect!(codeConnection({ accountId: 'nope' }), grant, context()),
    );
    expect(unknown.details.code).toBe('account_not_found');

    const stringy = await startDocuSignEmulator({
      isDefaultFormat: 'string',
      clients: [{ clientId: IK, secret: SECRET, redirectUris: [callbackUrl('docusign')] }],
      users: [{ sub: USER, accounts: [{ is_default: false }, { account_id: ACCOUNT_B, is_default: true }] }],
    });
    try {
      const s = builtInStrategy('docusign', { docusignOAuthUrl: stringy.url });
      const c = connectionFor(s, {
        config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code' },
        secrets: { secretKey: SECRET },
      });
      const url = s.buildAuthorizationUrl!(c, {
        redirectUri: callbackUrl('docusign'),
        state: 's',
        codeChallenge: createHash('sha256').update('w'.repeat(43)).digest('base64url'),
      });
      const code = new URL(
        (await fetch(url, { redirect: 'manual' })).headers.get('location')!,
      ).searchParams.get('code')!;
      const g = await s.exchangeCode!(
        c,
        { code, redirectUri: callbackUrl('docusign'), codeVerifier: 'w'.repeat(43) },
        context(),
      );
      expect((await s.afterConnect!(c, g, context())).accountId).toBe(ACCOUNT_B);
    } finally {
      await stringy.close();
    }
  });

  it('rotates the refresh token on every refresh; the old one is refused and revokes the grant', async () => {
    const connection = codeConnection();
    const first = await connect(connection);
    const now = new Date(Date.now() + 3_600_000);
    const second = await strategy.refresh({ ...connection, refreshToken: first.refreshToken }, context(now));
    expect(second.refreshToken).toEqual(expect.any(String));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    // `extended` renews the refresh token's lifetime on each refresh.
    expect(second.refreshTokenExpiresAt?.getTime()).toBe(now.getTime() + 30 * 86_400_000);

    const reuse = await failureOf(() =>
      strategy.refresh({ ...connection, refreshToken: first.refreshToken }, context()),
    );
    expect(reuse.kind).toBe('needs_reauth');
    expect(reuse.details.code).toBe('invalid_grant');
    expectNoSecrets(reuse, [first.refreshToken!, SECRET]);
    // The emulator (like strict servers) revoked the whole grant: the newest token is dead too.
    const after = await failureOf(() =>
      strategy.refresh({ ...connection, refreshToken: second.refreshToken }, context()),
    );
    expect(after.kind).toBe('needs_reauth');
  });

  it('keeps the stored refresh-token expiry when `extended` was not requested', async () => {
    const connection = codeConnection({ scopes: ['signature'], acceptFixedRefreshTokenLifetime: true });
    const first = await connect(connection);
    const second = await strategy.refresh({ ...connection, refreshToken: first.refreshToken }, context());
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.refreshTokenExpiresAt).toBeUndefined();
  });

  it('classifies failures: bad credentials, 429 with Retry-After, 5xx, dropped answers and timeouts', async () => {
    const connection = codeConnection();
    const { refreshToken } = await connect(connection);
    const conn = { ...connection, refreshToken };

    const badSecret = await failureOf(() =>
      strategy.refresh({ ...conn, secrets: { secretKey: 'wrong-secret' } }, context()),
    );
    expect(badSecret).toMatchObject({ kind: 'needs_reauth', details: { credentialsRefused: true } });
    expect(badSecret.message).toContain('refused the client credentials');

    emu.failNext({ status: 429, retryAfterSeconds: 7 });
    const limited = await failureOf(() => strategy.refresh(conn, context()));
    expect(limited).toMatchObject({ kind: 'transient', details: { httpStatus: 429, retryAfterMs: 7000 } });

    emu.failNext({ status: 503 });
    expect((await failureOf(() => strategy.refresh(conn, context()))).kind).toBe('transient');

    emu.failNext({ drop: true });
    expect(await failureOf(() => strategy.refresh(conn, context()))).toMatchObject({
      kind: 'transient',
      details: { code: 'network_error' },
    });

    emu.failNext({ delayMs: 2000 });
    expect(await failureOf(() => strategy.refresh(conn, context()))).toMatchObject({
      kind: 'transient',
      details: { code: 'timeout' },
    });

    // A provider that echoes secrets back in its error text: they are redacted from the failure.
    emu.failNext({
      status: 400,
      body: { error: 'invalid_grant', error_description: `bad ${SECRET} / ${refreshToken}` },
    });
    const echoed = await failureOf(() => strategy.refresh(conn, context()));
    expect(echoed.kind).toBe('needs_reauth');
    expectNoSecrets(echoed, [SECRET, refreshToken!]);
  });

  describe('JWT grant', () => {
    it('needs consent first: consent_required → needs_reauth; the consent URL is built with a state', async () => {
      emu.revokeConsent(IK, USER);
      const failure = await failureOf(() => strategy.refresh(jwtConnection(), context()));
      expect(failure.kind).toBe('needs_reauth');
      expect(failure.details.code).toBe('consent_required');
      // A URL without a state would end on an error page: the library issues one with a pending state.
      expect(failure.details.consentUrl).toBeUndefined();
      const consent = new URL(
        strategy.buildAuthorizationUrl!(jwtConnection(), {
          redirectUri: callbackUrl('docusign'),
          state: 'st',
          codeChallenge: 'cc',
        }),
      );
      expect(`${consent.origin}${consent.pathname}`).toBe(`${emu.url}/oauth/auth`);
      expect(consent.searchParams.get('scope')).toBe('signature impersonation');
      expect(consent.searchParams.get('client_id')).toBe(IK);
      expect(consent.searchParams.get('state')).toBe('st');
      expect(consent.searchParams.get('redirect_uri')).toBe(callbackUrl('docusign'));
      expectNoSecrets(failure, [keys.privateKey]);
    });

    it('mints a token with an RS256 assertion (iss, sub, bare-host aud, exp ≤ 1 h) and no refresh token', async () => {
      emu.grantConsent(IK, USER);
      const now = new Date();
      const connection = jwtConnection();
      const grant = await strategy.refresh(connection, context(now));
      expect(grant).toMatchObject({ tokenType: 'Bearer', refreshToken: null });
      expect(grant.expiresAt?.getTime()).toBe(now.getTime() + 3_600_000);
      const assertion = String(emu.requests.filter((r) => r.body.assertion).at(-1)!.body.assertion);
      expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
      const claims = decodeJwt(assertion);
      expect(claims).toMatchObject({
        iss: IK,
        sub: USER,
        aud: 'account-d.docusign.com', // DocuSign's host, not the emulator that carried the request
        scope: 'signature impersonation',
      });
      expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(3600);
      expect(await strategy.afterConnect!(connection, grant, context())).toMatchObject({
        accountId: ACCOUNT_B,
      });
    });

    it('reports a key the integration does not know as needs_reauth', async () => {
      const other = connectionFor(strategy, {
        config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: USER },
        secrets: { privateKey: rsaKeyPair().privateKey },
      });
      const failure = await failureOf(() => strategy.refresh(other, context()));
      expect(failure).toMatchObject({ kind: 'needs_reauth', details: { code: 'invalid_grant' } });
    });
  });
});
