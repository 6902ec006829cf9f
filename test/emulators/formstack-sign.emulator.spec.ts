import { startFormstackSignEmulator, type FormstackSignEmulator } from './index.js';
import { authorizeRedirect, basic, getJson, postForm } from './spec-helpers.js';

const CLIENT = 'abcdefghijklmnopqrstuvwxyz';
const SECRET = 'fs-secret';
const LEGACY = 'legacyclientidxxxxxxxxxxxx';
const REDIRECT = 'http://localhost:3000/signing-auth/oauth/formstack-sign/callback';

describe('Formstack Sign emulator', () => {
  let emu: FormstackSignEmulator;
  const auth = { authorization: basic(CLIENT, SECRET) };

  beforeAll(async () => {
    emu = await startFormstackSignEmulator({
      clients: [
        { clientId: CLIENT, secret: SECRET, redirectUris: [REDIRECT] },
        { clientId: LEGACY, secret: SECRET, legacy: true, grants: ['client_credentials'] },
      ],
    });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  async function connect(): Promise<Record<string, unknown>> {
    const cb = await authorizeRedirect(`${emu.url}/oauth2/authorize`, {
      response_type: 'code',
      client_id: CLIENT,
      redirect_uri: REDIRECT,
      state: 's1',
    });
    expect(cb.searchParams.get('state')).toBe('s1');
    const res = await postForm(
      `${emu.url}/oauth2/token`,
      {
        grant_type: 'authorization_code',
        client_id: CLIENT,
        redirect_uri: REDIRECT,
        code: cb.searchParams.get('code') ?? '',
      },
      auth,
    );
    expect(res.status).toBe(200);
    return res.body;
  }

  it('exchanges a code (redirect_uri required and equal) and refreshes without rotation', async () => {
    const t = await connect();
    expect(t).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
      token_type: 'Bearer',
    });
    for (let i = 0; i < 3; i++) {
      // The same refresh token keeps working: Formstack does not rotate it and sends none back.
      const r = await postForm(
        `${emu.url}/oauth2/token`,
        { grant_type: 'refresh_token', client_id: CLIENT, refresh_token: String(t.refresh_token) },
        auth,
      );
      expect(r.body).toEqual({ access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer' });
      expect(emu.isAccessTokenValid(String(r.body.access_token))).toBe(true);
    }
    expect(emu.stats.tokenRequests).toEqual({ authorization_code: 1, refresh_token: 3 });
    emu.revokeToken(String(t.refresh_token));
    const revoked = await postForm(
      `${emu.url}/oauth2/token`,
      { grant_type: 'refresh_token', client_id: CLIENT, refresh_token: String(t.refresh_token) },
      auth,
    );
    expect(revoked).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('rejects a code exchange with a missing or different redirect_uri', async () => {
    for (const redirectUri of [undefined, 'http://localhost:3000/other']) {
      const cb = await authorizeRedirect(`${emu.url}/oauth2/authorize`, {
        response_type: 'code',
        client_id: CLIENT,
        redirect_uri: REDIRECT,
      });
      const form: Record<string, string> = {
        grant_type: 'authorization_code',
        client_id: CLIENT,
        code: cb.searchParams.get('code') ?? '',
      };
      if (redirectUri) form.redirect_uri = redirectUri;
      expect((await postForm(`${emu.url}/oauth2/token`, form, auth)).body.error).toBe('invalid_grant');
    }
  });

  it('requires Basic auth and client_id in the body', async () => {
    const form = { grant_type: 'client_credentials', client_id: CLIENT };
    expect((await postForm(`${emu.url}/oauth2/token`, form, auth)).status).toBe(200);
    expect(
      await postForm(`${emu.url}/oauth2/token`, { grant_type: 'client_credentials' }, auth),
    ).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    expect((await postForm(`${emu.url}/oauth2/token`, form)).body).toEqual({ error: 'invalid_client' });
    expect(
      (await postForm(`${emu.url}/oauth2/token`, form, { authorization: basic(CLIENT, 'bad') })).body,
    ).toEqual({ error: 'invalid_client' });
    expect((await postForm(`${emu.url}/oauth2/token`, { ...form, client_id: LEGACY }, auth)).body).toEqual({
      error: 'invalid_client',
    });
  });

  it('issues client-credentials tokens that work on the REST surface', async () => {
    const t = await postForm(
      `${emu.url}/oauth2/token`,
      { grant_type: 'client_credentials', client_id: CLIENT },
      auth,
    );
    expect(t.body).toEqual({ access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer' });
    expect(
      (await getJson(`${emu.url}/my/documents`, { authorization: `Bearer ${t.body.access_token}` })).status,
    ).toBe(200);
    expect((await getJson(`${emu.url}/my/documents`)).status).toBe(401);
    emu.advance(3600_000);
    expect(
      (await getJson(`${emu.url}/my/documents`, { authorization: `Bearer ${t.body.access_token}` })).status,
    ).toBe(401);
  });

  it('serves the legacy host, strictly when asked', async () => {
    const legacyAuth = { authorization: basic(LEGACY, SECRET) };
    const form = { grant_type: 'client_credentials', client_id: LEGACY };
    expect((await postForm(`${emu.legacyUrl}/oauth2/token`, form, legacyAuth)).status).toBe(200);
    expect((await postForm(`${emu.url}/oauth2/token`, form, legacyAuth)).status).toBe(200);
    expect(emu.requests.map((r) => r.listener)).toEqual(['legacy', 'main']);

    const strict = await startFormstackSignEmulator({
      strictHosts: true,
      clients: [{ clientId: LEGACY, secret: SECRET, legacy: true }],
    });
    try {
      expect((await postForm(`${strict.legacyUrl}/oauth2/token`, form, legacyAuth)).status).toBe(200);
      expect((await postForm(`${strict.url}/oauth2/token`, form, legacyAuth)).body).toEqual({
        error: 'invalid_client',
      });
    } finally {
      await strict.close();
    }
  });

  it('can withhold `state` on the callback (undocumented for Formstack)', async () => {
    const noState = await startFormstackSignEmulator({
      echoState: false,
      clients: [{ clientId: CLIENT, secret: SECRET, redirectUris: [REDIRECT] }],
    });
    try {
      const cb = await authorizeRedirect(`${noState.url}/oauth2/authorize`, {
        response_type: 'code',
        client_id: CLIENT,
        redirect_uri: REDIRECT,
        state: 's',
      });
      expect(cb.searchParams.has('code')).toBe(true);
      expect(cb.searchParams.has('state')).toBe(false);
    } finally {
      await noState.close();
    }
  });
});
