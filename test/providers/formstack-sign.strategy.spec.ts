import { ConnectionValidationError, type SigningAuthStrategy, type StrategyConnection } from 'signing-auth';
import { startFormstackSignEmulator, type FormstackSignEmulator } from '../emulators/index.js';
import {
  builtInStrategy,
  callbackUrl,
  connectionFor,
  context,
  expectNoSecrets,
  failureOf,
} from './strategy-test-kit.js';

const SECRET = 'CANARY-formstack-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const CLIENT = 'fsclient0123456789abcdefgh';
const LEGACY = 'fslegacy0123456789abcdefgh';

describe('Formstack Sign strategy against the emulator', () => {
  let emu: FormstackSignEmulator;
  let strategy: SigningAuthStrategy;

  const connection = (config: Record<string, unknown> = {}): StrategyConnection =>
    connectionFor(strategy, {
      config: { clientId: CLIENT, grant: 'authorization_code', ...config },
      secrets: { clientSecret: SECRET },
    });

  async function connect(conn: StrategyConnection) {
    const url = strategy.buildAuthorizationUrl!(conn, {
      redirectUri: callbackUrl('formstack-sign'),
      state: 'st',
      codeChallenge: 'unused',
    });
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    return strategy.exchangeCode!(
      conn,
      { code, redirectUri: callbackUrl('formstack-sign'), codeVerifier: 'unused-verifier' },
      context(),
    );
  }

  beforeAll(async () => {
    emu = await startFormstackSignEmulator({
      strictHosts: true,
      clients: [
        {
          clientId: CLIENT,
          secret: SECRET,
          redirectUris: [callbackUrl('formstack-sign')],
          grants: ['authorization_code', 'refresh_token', 'client_credentials'],
        },
        { clientId: LEGACY, secret: SECRET, legacy: true, grants: ['client_credentials'] },
      ],
    });
    strategy = builtInStrategy('formstack-sign', {
      formstackAuthUrl: emu.url,
      formstackLegacyAuthUrl: emu.legacyUrl,
    });
  });
  afterEach(() => emu.clearFailures());
  afterAll(() => emu.close());

  it('validates config and secrets, naming the field', () => {
    expect(() =>
      strategy.validate({ config: { clientId: CLIENT, grant: 'password' }, secrets: { clientSecret: 's' } }),
    ).toThrow(expect.objectContaining({ field: 'config.grant' }));
    expect(() =>
      strategy.validate({
        config: { clientId: CLIENT, grant: 'client_credentials', legacyHost: 'yes' },
        secrets: { clientSecret: 's' },
      }),
    ).toThrow(expect.objectContaining({ field: 'config.legacyHost' }));
    expect(() =>
      strategy.validate({
        config: { clientId: CLIENT, grant: 'client_credentials' },
        secrets: { clientSecret: 's', x: 'y' },
      }),
    ).toThrow(ConnectionValidationError);
  });

  it('exchanges a code with Basic auth, client_id in the body and the redirect_uri repeated', async () => {
    const grant = await connect(connection());
    expect(grant.refreshToken).toEqual(expect.any(String));
    const exchange = emu.requests.find((r) => r.body.grant_type === 'authorization_code')!;
    expect(exchange.listener).toBe('main');
    expect(exchange.headers.authorization).toBe(
      `Basic ${Buffer.from(`${CLIENT}:${SECRET}`).toString('base64')}`,
    );
    expect(exchange.body).toMatchObject({ client_id: CLIENT, redirect_uri: callbackUrl('formstack-sign') });
    expect(exchange.body).not.toHaveProperty('code_verifier');
  });

  it('refresh keeps the stored refresh token (none comes back) and it keeps working', async () => {
    const conn = connection();
    const first = await connect(conn);
    const second = await strategy.refresh({ ...conn, refreshToken: first.refreshToken }, context());
    expect(second.refreshToken).toBeUndefined();
    expect(second.accessToken).not.toBe(first.accessToken);
    const third = await strategy.refresh({ ...conn, refreshToken: first.refreshToken }, context());
    expect(third.accessToken).toEqual(expect.any(String));
    const refresh = emu.requests.filter((r) => r.body.grant_type === 'refresh_token').at(-1)!;
    expect(refresh.body.client_id).toBe(CLIENT);

    emu.revokeToken(first.refreshToken!);
    const revoked = await failureOf(() =>
      strategy.refresh({ ...conn, refreshToken: first.refreshToken }, context()),
    );
    expect(revoked).toMatchObject({ kind: 'needs_reauth', details: { code: 'invalid_grant' } });
    expectNoSecrets(revoked, [SECRET, first.refreshToken!]);
  });

  it('client credentials: a token without a refresh token; the legacy host per connection', async () => {
    const grant = await strategy.refresh(connection({ grant: 'client_credentials' }), context());
    expect(grant).toMatchObject({ tokenType: 'Bearer', refreshToken: null });
    expect(emu.requests.at(-1)!.listener).toBe('main');

    const legacy = connectionFor(strategy, {
      config: { clientId: LEGACY, grant: 'client_credentials', legacyHost: true },
      secrets: { clientSecret: SECRET },
    });
    await strategy.refresh(legacy, context());
    expect(emu.requests.at(-1)!.listener).toBe('legacy');
    // On the wrong host the (strict) emulator refuses the client: the credentials-refused class.
    const wrongHost = await failureOf(() =>
      strategy.refresh({ ...legacy, config: { ...legacy.config, legacyHost: false } }, context()),
    );
    expect(wrongHost).toMatchObject({
      kind: 'needs_reauth',
      details: { code: 'invalid_client', credentialsRefused: true },
    });
  });

  it('legacy connections use the main override when no legacy override is given', () => {
    const single = builtInStrategy('formstack-sign', { formstackAuthUrl: 'http://127.0.0.1:1' });
    const conn = connectionFor(single, {
      config: { clientId: LEGACY, grant: 'authorization_code', legacyHost: true },
      secrets: { clientSecret: 's' },
    });
    expect(
      single.buildAuthorizationUrl!(conn, { redirectUri: 'https://x/cb', state: 's', codeChallenge: 'c' }),
    ).toMatch(/^http:\/\/127\.0\.0\.1:1\/oauth2\/authorize\?/);
    const prod = builtInStrategy('formstack-sign', {});
    expect(
      prod.buildAuthorizationUrl!(conn, { redirectUri: 'https://x/cb', state: 's', codeChallenge: 'c' }),
    ).toMatch(/^https:\/\/auth\.insuresign\.io\/oauth2\/authorize\?/);
  });

  it('transient failures: 429 Retry-After, 500, dropped answer', async () => {
    const conn = connection({ grant: 'client_credentials' });
    emu.failNext({ status: 429, retryAfterSeconds: 3 });
    expect(await failureOf(() => strategy.refresh(conn, context()))).toMatchObject({
      kind: 'transient',
      details: { retryAfterMs: 3000 },
    });
    emu.failNext({ status: 500 });
    expect((await failureOf(() => strategy.refresh(conn, context()))).kind).toBe('transient');
    emu.failNext({ drop: true, afterHandling: true });
    expect((await failureOf(() => strategy.refresh(conn, context()))).kind).toBe('transient');
  });
});
