import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { startDocuSignEmulator, type DocuSignEmulator } from './index.js';
import { authorizeRedirect, basic, getJson, pkcePair, postForm } from './spec-helpers.js';

const CLIENT = 'a1b2c3d4-0000-4000-8000-000000000001';
const SECRET = 'ds-secret';
const REDIRECT = 'http://localhost:3000/signing-auth/oauth/docusign/callback';
const USER = '11111111-2222-4333-8444-555555555555';
const DAY = 86_400_000;

describe('DocuSign emulator', () => {
  let emu: DocuSignEmulator;
  let privateKey: KeyObject;
  const auth = { authorization: basic(CLIENT, SECRET) };

  beforeAll(async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKey = pair.privateKey;
    emu = await startDocuSignEmulator({
      clients: [
        {
          clientId: CLIENT,
          secret: SECRET,
          redirectUris: [REDIRECT],
          publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        },
      ],
      users: [{ sub: USER, email: 'ada@example.test', name: 'Ada Lovelace' }],
    });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  async function code(scope = 'signature', extra: Record<string, string> = {}): Promise<URL> {
    return authorizeRedirect(`${emu.url}/oauth/auth`, {
      response_type: 'code',
      client_id: CLIENT,
      redirect_uri: REDIRECT,
      scope,
      state: 'st-1',
      ...extra,
    });
  }
  async function connect(scope = 'signature'): Promise<Record<string, unknown>> {
    const cb = await code(scope);
    const res = await postForm(
      `${emu.url}/oauth/token`,
      { grant_type: 'authorization_code', code: cb.searchParams.get('code') ?? '' },
      auth,
    );
    expect(res.status).toBe(200);
    return res.body;
  }
  const refresh = (rt: unknown) =>
    postForm(`${emu.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: String(rt) }, auth);

  it('runs the code grant, userinfo and the REST surface', async () => {
    const cb = await code();
    expect(`${cb.origin}${cb.pathname}`).toBe(REDIRECT);
    expect(cb.searchParams.get('state')).toBe('st-1');
    const tokens = await connect();
    expect(tokens).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      refresh_token: expect.any(String),
      expires_in: 28_800,
    });
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    const info = await getJson(`${emu.url}/oauth/userinfo`, bearer);
    expect(info.body).toMatchObject({ sub: USER, email: 'ada@example.test', name: 'Ada Lovelace' });
    const [account] = info.body.accounts as { account_id: string; base_uri: string; is_default: unknown }[];
    expect(account).toMatchObject({ is_default: true, base_uri: emu.url });
    expect(emu.stats.userinfoRequests).toBe(1);

    const rest = `${account.base_uri}/restapi/v2.1/accounts/${account.account_id}`;
    expect((await getJson(`${rest}/envelopes`, bearer)).status).toBe(200);
    const noToken = await getJson(`${rest}/envelopes`);
    expect(noToken).toMatchObject({ status: 401, body: { errorCode: 'USER_AUTHENTICATION_FAILED' } });
    expect((await getJson(`${rest}/admin-only`, bearer)).status).toBe(403);
    expect((await getJson(`${emu.url}/restapi/v2.1/accounts/not-mine/envelopes`, bearer)).status).toBe(400);
    emu.advance(28_800_000);
    expect(emu.isAccessTokenValid(String(tokens.access_token))).toBe(false);
    expect((await getJson(`${rest}/envelopes`, bearer)).status).toBe(401);
  });

  it('counts REST calls per account per hour and burst, with the documented headers and 429 body', async () => {
    emu.setClock(() => Date.parse('2026-06-01T10:59:00Z'));
    const bearer = { authorization: `Bearer ${(await connect()).access_token}` };
    const info = await getJson(`${emu.url}/oauth/userinfo`, bearer);
    const [account] = info.body.accounts as { account_id: string }[];
    emu.setApiLimits(account.account_id, { hourly: 2, burst: 10 });
    const rest = `${emu.url}/restapi/v2.1/accounts/${account.account_id}/envelopes`;
    const first = await getJson(rest, bearer);
    expect(first.status).toBe(200);
    expect(Object.fromEntries([...first.headers].filter(([name]) => /limit/.test(name)))).toEqual({
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '1',
      'x-ratelimit-reset': String(Date.parse('2026-06-01T11:00:00Z') / 1000),
      'x-burstlimit-limit': '10',
      'x-burstlimit-remaining': '9',
    });
    expect((await getJson(rest, bearer)).headers.get('x-ratelimit-remaining')).toBe('0');
    const refused = await getJson(rest, bearer);
    expect(refused).toMatchObject({
      status: 429,
      body: {
        errorCode: 'HOURLY_APIINVOCATION_LIMIT_EXCEEDED',
        message: 'The maximum number of hourly API invocations has been exceeded',
      },
    });
    expect(emu.stats).toMatchObject({
      rateLimitedRequests: 1,
      restRequestsByAccount: { [account.account_id]: 3 },
    });
    emu.advance(60_000); // the top of the hour: a new budget
    expect((await getJson(rest, bearer)).headers.get('x-ratelimit-remaining')).toBe('1');
    emu.setClock(undefined);
  });

  it('validates the authorize request', async () => {
    expect(
      (
        await getJson(
          `${emu.url}/oauth/auth?response_type=code&client_id=nope&redirect_uri=${REDIRECT}&scope=signature`,
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await getJson(
          `${emu.url}/oauth/auth?response_type=code&client_id=${CLIENT}&redirect_uri=http://evil.test/cb&scope=signature`,
        )
      ).status,
    ).toBe(400);
    expect((await code('signature', { response_type: 'token' })).searchParams.get('error')).toBe(
      'unsupported_response_type',
    );
    emu.denyAuthorizations();
    expect((await code()).searchParams.get('error')).toBe('access_denied');
    emu.denyAuthorizations(false);
  });

  it('makes codes single use and expiring', async () => {
    const first = (await code()).searchParams.get('code') ?? '';
    expect(
      (await postForm(`${emu.url}/oauth/token`, { grant_type: 'authorization_code', code: first }, auth))
        .status,
    ).toBe(200);
    const again = await postForm(
      `${emu.url}/oauth/token`,
      { grant_type: 'authorization_code', code: first },
      auth,
    );
    expect(again).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'expired_client_token' },
    });
    const late = (await code()).searchParams.get('code') ?? '';
    emu.advance(121_000);
    const expired = await postForm(
      `${emu.url}/oauth/token`,
      { grant_type: 'authorization_code', code: late },
      auth,
    );
    expect(expired.body).toEqual({ error: 'invalid_grant', error_description: 'expired_client_token' });
  });

  it('checks PKCE S256 and the client secret', async () => {
    const { verifier, challenge } = pkcePair();
    const params = { code_challenge: challenge, code_challenge_method: 'S256' };
    const exchange = async (v?: string, headers = auth) => {
      const c = (await code('signature', params)).searchParams.get('code') ?? '';
      return postForm(
        `${emu.url}/oauth/token`,
        { grant_type: 'authorization_code', code: c, ...(v ? { code_verifier: v } : {}) },
        headers,
      );
    };
    expect((await exchange(pkcePair().verifier)).body.error).toBe('invalid_grant');
    expect((await exchange()).body.error).toBe('invalid_grant');
    expect((await exchange(verifier)).status).toBe(200);
    const badSecret = await exchange(verifier, { authorization: basic(CLIENT, 'wrong') });
    expect(badSecret).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'unauthorized_client' },
    });
  });

  it('rotates refresh tokens and revokes the whole grant on reuse', async () => {
    const t0 = await connect();
    const r1 = await refresh(t0.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(t0.refresh_token);
    const r2 = await refresh(r1.body.refresh_token);
    expect(emu.isAccessTokenValid(String(r2.body.access_token))).toBe(true);

    const reuse = await refresh(t0.refresh_token);
    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(emu.stats.reuseDetections).toBe(1);
    expect(emu.isAccessTokenValid(String(r2.body.access_token))).toBe(false);
    expect((await refresh(r2.body.refresh_token)).body.error).toBe('invalid_grant');
    expect(emu.stats.tokenRequests).toEqual({ authorization_code: 1, refresh_token: 4 });
  });

  it('keeps the absolute refresh expiry without `extended` and renews it with `extended`', async () => {
    let plain = (await connect('signature')).refresh_token;
    let extended = (await connect('signature extended')).refresh_token;
    for (let day = 20; day <= 100; day += 20) {
      emu.advance(20 * DAY);
      const p = await refresh(plain);
      const e = await refresh(extended);
      expect(e.status).toBe(200);
      extended = e.body.refresh_token;
      if (day < 30) plain = p.body.refresh_token;
      else expect(p.body).toEqual({ error: 'invalid_grant' });
    }
  });

  describe('JWT grant', () => {
    const sign = (claims: Record<string, unknown> = {}, lifetime = 3600, key: KeyObject = privateKey) => {
      const now = Math.floor(emu.now() / 1000);
      const claims0 = {
        iss: CLIENT,
        sub: USER,
        aud: 'account-d.docusign.com',
        iat: now,
        exp: now + lifetime,
        scope: 'signature impersonation',
      };
      return new SignJWT({ ...claims0, ...claims })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
        .sign(key);
    };
    const jwtToken = async (assertion: string) =>
      postForm(`${emu.url}/oauth/token`, {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion,
      });

    it('needs consent, then issues an access token without refresh token', async () => {
      expect(await jwtToken(await sign())).toMatchObject({
        status: 400,
        body: { error: 'consent_required' },
      });
      emu.grantConsent(CLIENT, USER);
      const ok = await jwtToken(await sign());
      expect(ok.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
      const info = await getJson(`${emu.url}/oauth/userinfo`, {
        authorization: `Bearer ${ok.body.access_token}`,
      });
      expect(info.body.sub).toBe(USER);
      emu.revokeConsent(CLIENT, USER);
    });

    it('records consent given through /oauth/auth with `impersonation`', async () => {
      await code('signature impersonation');
      expect((await jwtToken(await sign())).status).toBe(200);
      emu.revokeConsent(CLIENT, USER);
    });

    it('rejects bad assertions', async () => {
      emu.grantConsent(CLIENT, USER);
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      expect((await jwtToken(await sign({}, 3600, other))).body.error_description).toBe(
        'no_valid_keys_or_signatures',
      );
      expect((await jwtToken(await sign({}, 7200))).body.error).toBe('invalid_grant');
      // The audience is DocuSign's own host name, not the address that carried the request.
      expect((await jwtToken(await sign({ aud: emu.host }))).body.error_description).toBe('invalid_audience');
      expect((await jwtToken(await sign({ aud: 'account.docusign.com' }))).body.error).toBe('invalid_grant');
      expect((await jwtToken(await sign({ sub: 'nobody' }))).body.error_description).toBe('user_not_found');
      expect((await jwtToken(await sign({ iss: 'unknown' }))).body.error_description).toBe(
        'issuer_not_found',
      );
      expect((await jwtToken(await sign({ scope: 'signature' }))).body.error).toBe('invalid_scope');
      const stale = await sign();
      emu.advance(3601_000);
      expect((await jwtToken(stale)).body.error).toBe('invalid_grant');
      emu.revokeConsent(CLIENT, USER);
    });
  });

  it('renders is_default as a string when asked', async () => {
    const strEmu = await startDocuSignEmulator({
      isDefaultFormat: 'string',
      clients: [{ clientId: CLIENT, secret: SECRET, redirectUris: [REDIRECT] }],
    });
    try {
      strEmu.addUser({ sub: USER, accounts: [{}, {}] });
      const cb = await authorizeRedirect(`${strEmu.url}/oauth/auth`, {
        response_type: 'code',
        client_id: CLIENT,
        redirect_uri: REDIRECT,
        scope: 'signature',
      });
      const t = await postForm(
        `${strEmu.url}/oauth/token`,
        { grant_type: 'authorization_code', code: cb.searchParams.get('code') ?? '' },
        auth,
      );
      const info = await getJson(`${strEmu.url}/oauth/userinfo`, {
        authorization: `Bearer ${t.body.access_token}`,
      });
      expect((info.body.accounts as { is_default: unknown }[]).map((a) => a.is_default)).toEqual([
        'true',
        'false',
      ]);
      expect((await getJson(`${strEmu.url}/oauth/userinfo`, { authorization: 'Bearer nope' })).status).toBe(
        401,
      );
    } finally {
      await strEmu.close();
    }
  });
});
