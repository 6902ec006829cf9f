import { startOAuth2Emulator, type OAuth2Emulator } from './index.js';
import { authorizeRedirect, basic, getJson, pkcePair, postForm } from './spec-helpers.js';

const REDIRECT = 'http://localhost:3000/signing-auth/oauth/oauth2/callback';

describe('generic OAuth 2.0 emulator', () => {
  let emu: OAuth2Emulator;

  beforeAll(async () => {
    emu = await startOAuth2Emulator({
      clients: [
        { clientId: 'rot', secret: 's', redirectUris: [REDIRECT] },
        {
          clientId: 'still',
          secret: 's',
          clientAuth: 'client_secret_post',
          redirectUris: [REDIRECT],
          rotateRefreshTokens: false,
        },
        { clientId: 'svc', secret: 's', allowedScopes: ['read', 'admin'] },
      ],
    });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  async function connect(
    clientId: string,
    creds: Record<string, string>,
    headers: Record<string, string> = {},
  ) {
    const { verifier, challenge } = pkcePair();
    const cb = await authorizeRedirect(emu.authorizationUrl, {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      scope: 'read write',
      state: 'xyz',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(cb.searchParams.get('state')).toBe('xyz');
    const code = cb.searchParams.get('code') ?? '';
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...creds };
    expect(
      (await postForm(emu.tokenUrl, { ...form, code_verifier: pkcePair().verifier }, headers)).body.error,
    ).toBe('invalid_grant');
    // That failed attempt consumed the code: authorize again for the real exchange.
    const cb2 = await authorizeRedirect(emu.authorizationUrl, {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      scope: 'read write',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const ok = await postForm(
      emu.tokenUrl,
      { ...form, code: cb2.searchParams.get('code') ?? '', code_verifier: verifier },
      headers,
    );
    expect(ok.status).toBe(200);
    return ok.body;
  }

  it('rotates refresh tokens with reuse detection (client_secret_basic)', async () => {
    const auth = { authorization: basic('rot', 's') };
    const t = await connect('rot', {}, auth);
    expect(t).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'read write',
      refresh_token: expect.any(String),
    });
    const r1 = await postForm(
      emu.tokenUrl,
      { grant_type: 'refresh_token', refresh_token: String(t.refresh_token) },
      auth,
    );
    expect(r1.body.refresh_token).toEqual(expect.any(String));
    expect(r1.body.refresh_token).not.toBe(t.refresh_token);
    const reuse = await postForm(
      emu.tokenUrl,
      { grant_type: 'refresh_token', refresh_token: String(t.refresh_token) },
      auth,
    );
    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(emu.stats.reuseDetections).toBe(1);
    expect(emu.isAccessTokenValid(String(r1.body.access_token))).toBe(false);
  });

  it('keeps the refresh token when rotation is off (client_secret_post)', async () => {
    const creds = { client_id: 'still', client_secret: 's' };
    const t = await connect('still', creds);
    for (let i = 0; i < 3; i++) {
      const r = await postForm(emu.tokenUrl, {
        grant_type: 'refresh_token',
        refresh_token: String(t.refresh_token),
        ...creds,
      });
      expect(r.status).toBe(200);
      expect(r.body.refresh_token).toBeUndefined();
    }
    const narrowed = await postForm(emu.tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: String(t.refresh_token),
      scope: 'read',
      ...creds,
    });
    expect(narrowed.body.scope).toBe('read');
    expect(
      (
        await postForm(emu.tokenUrl, {
          grant_type: 'refresh_token',
          refresh_token: String(t.refresh_token),
          scope: 'admin',
          ...creds,
        })
      ).body.error,
    ).toBe('invalid_scope');
    expect(emu.stats.reuseDetections).toBe(0);
  });

  it('enforces each client`s authentication method', async () => {
    const wrongMethod = await postForm(
      emu.tokenUrl,
      { grant_type: 'client_credentials' },
      { authorization: basic('still', 's') },
    );
    expect(wrongMethod).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(wrongMethod.headers.get('www-authenticate')).toContain('Basic');
    expect(
      (
        await postForm(emu.tokenUrl, {
          grant_type: 'client_credentials',
          client_id: 'rot',
          client_secret: 's',
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await postForm(
          emu.tokenUrl,
          { grant_type: 'client_credentials' },
          { authorization: basic('rot', 'bad') },
        )
      ).status,
    ).toBe(401);
    expect(
      (await postForm(emu.tokenUrl, { grant_type: 'password' }, { authorization: basic('rot', 's') })).body
        .error,
    ).toBe('unsupported_grant_type');
  });

  it('issues client-credentials tokens and protects /api with RFC 6750 errors', async () => {
    const auth = { authorization: basic('svc', 's') };
    expect(
      (await postForm(emu.tokenUrl, { grant_type: 'client_credentials', scope: 'write' }, auth)).body.error,
    ).toBe('invalid_scope');
    const t = await postForm(emu.tokenUrl, { grant_type: 'client_credentials', scope: 'read' }, auth);
    expect(t.body.refresh_token).toBeUndefined();
    const bearer = { authorization: `Bearer ${t.body.access_token}` };
    expect((await getJson(`${emu.url}/api/things`, bearer)).status).toBe(200);
    expect((await getJson(`${emu.url}/api/admin/things`, bearer)).body.error).toBe('insufficient_scope');
    const none = await getJson(`${emu.url}/api/things`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('rejects plain PKCE and unknown redirect URIs', async () => {
    const plain = await authorizeRedirect(emu.authorizationUrl, {
      response_type: 'code',
      client_id: 'rot',
      redirect_uri: REDIRECT,
      code_challenge: 'abc',
      code_challenge_method: 'plain',
    });
    expect(plain.searchParams.get('error')).toBe('invalid_request');
    expect(
      (
        await getJson(
          `${emu.authorizationUrl}?response_type=code&client_id=rot&redirect_uri=http://evil.test/`,
        )
      ).status,
    ).toBe(400);
  });
});
