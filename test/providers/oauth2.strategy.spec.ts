import { createHash } from 'node:crypto';
import type { SigningAuthStrategy, StrategyConnection } from 'signing-auth';
import { startOAuth2Emulator, type OAuth2Emulator } from '../emulators/index.js';
import {
  builtInStrategy,
  callbackUrl,
  connectionFor,
  context,
  expectNoSecrets,
  failureOf,
} from './strategy-test-kit.js';

const SECRET = 'CANARY-oauth2-secret-abcdefghijklmnop';
const VERIFIER = 'x'.repeat(43);

describe('generic OAuth 2.0 strategy against the emulator', () => {
  let emu: OAuth2Emulator;
  let strategy: SigningAuthStrategy;

  const conn = (clientId: string, extra: Record<string, unknown> = {}): StrategyConnection =>
    connectionFor(strategy, {
      config: {
        authorizationUrl: emu.authorizationUrl,
        tokenUrl: emu.tokenUrl,
        clientId,
        grant: 'authorization_code',
        scopes: ['read', 'write'],
        ...extra,
      },
      secrets: { clientSecret: SECRET },
    });

  async function connect(connection: StrategyConnection) {
    const url = strategy.buildAuthorizationUrl!(connection, {
      redirectUri: callbackUrl('oauth2'),
      state: 'st',
      codeChallenge: createHash('sha256').update(VERIFIER).digest('base64url'),
    });
    const res = await fetch(url, { redirect: 'manual' });
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBeNull();
    return strategy.exchangeCode!(
      connection,
      {
        code: location.searchParams.get('code')!,
        redirectUri: callbackUrl('oauth2'),
        codeVerifier: VERIFIER,
      },
      context(),
    );
  }

  beforeAll(async () => {
    emu = await startOAuth2Emulator({
      clients: [
        { clientId: 'rotating', secret: SECRET, redirectUris: [callbackUrl('oauth2')], requirePkce: true },
        {
          clientId: 'static',
          secret: SECRET,
          clientAuth: 'client_secret_post',
          rotateRefreshTokens: false,
          redirectUris: [callbackUrl('oauth2')],
        },
      ],
    });
    strategy = builtInStrategy('oauth2', {});
  });
  afterEach(() => emu.clearFailures());
  afterAll(() => emu.close());

  it('validates URLs (https, or http on localhost only) and requires authorizationUrl for the code grant', () => {
    const base = { tokenUrl: 'https://idp.example/token', clientId: 'c', grant: 'client_credentials' };
    expect(strategy.validate({ config: base, secrets: { clientSecret: 's' } }).grantType).toBe(
      'client_credentials',
    );
    expect(() =>
      strategy.validate({
        config: { ...base, tokenUrl: 'http://idp.example/token' },
        secrets: { clientSecret: 's' },
      }),
    ).toThrow(expect.objectContaining({ field: 'config.tokenUrl' }));
    expect(() =>
      strategy.validate({ config: { ...base, grant: 'authorization_code' }, secrets: { clientSecret: 's' } }),
    ).toThrow(expect.objectContaining({ field: 'config.authorizationUrl' }));
    expect(() =>
      strategy.validate({ config: { ...base, pkce: 'yes' }, secrets: { clientSecret: 's' } }),
    ).toThrow(expect.objectContaining({ field: 'config.pkce' }));
    expect(() =>
      strategy.validate({ config: { ...base, scopes: ['a b'] }, secrets: { clientSecret: 's' } }),
    ).toThrow(expect.objectContaining({ field: 'config.scopes' }));
  });

  it('keeps a query the configured authorization URL has, and leaves PKCE out when pkce is false', () => {
    const withQuery = conn('rotating', { authorizationUrl: 'https://idp.example/authorize?audience=api' });
    const url = new URL(
      strategy.buildAuthorizationUrl!(withQuery, {
        redirectUri: 'https://app/cb',
        state: 's1',
        codeChallenge: 'ch',
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      audience: 'api',
      response_type: 'code',
      client_id: 'rotating',
      redirect_uri: 'https://app/cb',
      scope: 'read write',
      state: 's1',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
    const noPkce = conn('rotating', { pkce: false });
    const plain = new URL(
      strategy.buildAuthorizationUrl!(noPkce, {
        redirectUri: 'https://app/cb',
        state: 's',
        codeChallenge: 'ch',
      }),
    );
    expect(plain.searchParams.has('code_challenge')).toBe(false);
  });

  it('rotating server: PKCE code flow, every refresh stores the new token, reuse of the old one is needs_reauth', async () => {
    const connection = conn('rotating');
    const first = await connect(connection);
    expect(emu.requests.find((r) => r.body.grant_type === 'authorization_code')!.body).toMatchObject({
      code_verifier: VERIFIER,
      redirect_uri: callbackUrl('oauth2'),
    });
    const second = await strategy.refresh({ ...connection, refreshToken: first.refreshToken }, context());
    expect(second.refreshToken).toEqual(expect.any(String));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.scopes).toEqual(['read', 'write']);
    const third = await strategy.refresh({ ...connection, refreshToken: second.refreshToken }, context());
    expect(third.refreshToken).not.toBe(second.refreshToken);
    const reuse = await failureOf(() =>
      strategy.refresh({ ...connection, refreshToken: first.refreshToken }, context()),
    );
    expect(reuse).toMatchObject({ kind: 'needs_reauth', details: { code: 'invalid_grant' } });
    expectNoSecrets(reuse, [SECRET, first.refreshToken!]);
  });

  it('non-rotating server with client_secret_post: refresh keeps the stored refresh token', async () => {
    const connection = conn('static', { clientAuth: 'post', pkce: false });
    const first = await connect(connection);
    const refreshed = await strategy.refresh({ ...connection, refreshToken: first.refreshToken }, context());
    expect(refreshed.refreshToken).toBeUndefined();
    const again = await strategy.refresh({ ...connection, refreshToken: first.refreshToken }, context());
    expect(again.accessToken).not.toBe(refreshed.accessToken);
    const req = emu.requests.at(-1)!;
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toMatchObject({ client_id: 'static', client_secret: SECRET });
  });

  it('client credentials, and the wrong auth method is "credentials refused"', async () => {
    const cc = conn('rotating', { grant: 'client_credentials' });
    expect(await strategy.refresh(cc, context())).toMatchObject({
      refreshToken: null,
      scopes: ['read', 'write'],
    });
    const wrongMethod = await failureOf(() =>
      strategy.refresh({ ...cc, config: { ...cc.config, clientAuth: 'post' } }, context()),
    );
    expect(wrongMethod).toMatchObject({
      kind: 'needs_reauth',
      details: { code: 'invalid_client', httpStatus: 401, credentialsRefused: true },
    });
  });

  it('an HTML 200 or a 200 without access_token is transient, not a crash', async () => {
    const cc = conn('rotating', { grant: 'client_credentials' });
    emu.failNext({ status: 200, body: '<html>proxy</html>', headers: { 'content-type': 'text/html' } });
    expect(await failureOf(() => strategy.refresh(cc, context()))).toMatchObject({
      kind: 'transient',
      details: { code: 'invalid_response' },
    });
    emu.failNext({ status: 200, body: { token_type: 'Bearer' } });
    expect(await failureOf(() => strategy.refresh(cc, context()))).toMatchObject({
      kind: 'transient',
      details: { code: 'invalid_response' },
    });
    emu.failNext({ status: 502, body: 'Bad gateway' });
    expect(await failureOf(() => strategy.refresh(cc, context()))).toMatchObject({
      kind: 'transient',
      details: { httpStatus: 502 },
    });
  });
});
