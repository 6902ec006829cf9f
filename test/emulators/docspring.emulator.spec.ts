import { startDocSpringEmulator, type DocSpringEmulator } from './index.js';
import { basic, getJson } from './spec-helpers.js';

describe('DocSpring emulator', () => {
  let emu: DocSpringEmulator;
  const auth = { authorization: basic('api_token_1', 'secret_1') };

  beforeAll(async () => {
    emu = await startDocSpringEmulator({
      apiTokens: [{ id: 'api_token_1', secret: 'secret_1' }],
      dataRequests: ['drq_123'],
    });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  it('authenticates with Basic and records the exact header', async () => {
    const header = `Basic ${Buffer.from('api_token_1:secret_1').toString('base64')}`;
    expect(await getJson(`${emu.apiUrl}/authentication`, { authorization: header })).toMatchObject({
      status: 200,
      body: { status: 'success' },
    });
    expect(emu.lastAuthorizationHeader).toBe(header);
    expect(emu.requests[0].headers.authorization).toBe(header);
  });

  it('answers each documented 401', async () => {
    expect((await getJson(`${emu.apiUrl}/authentication`)).body).toEqual({
      status: 'error',
      error:
        'Missing Basic Auth: Please provide an API token via Basic Auth. See: https://docspring.com/docs/api-guide/authentication/',
    });
    const unknown = await getJson(`${emu.apiUrl}/authentication`, { authorization: basic('nope', 'x') });
    expect(unknown).toMatchObject({
      status: 401,
      body: { status: 'error', error: 'Could not find API token with ID: nope' },
    });
    const wrong = await getJson(`${emu.apiUrl}/authentication`, { authorization: basic('api_token_1', 'x') });
    expect(wrong).toMatchObject({
      status: 401,
      body: { status: 'error', error: 'Invalid API token secret' },
    });
  });

  it('creates data-request tokens (201) with 1 h and 30 d expiry', async () => {
    const at = Date.now();
    emu.setClock(() => at);
    for (const [type, seconds] of [
      [undefined, 3600],
      ['api', 3600],
      ['email', 30 * 86_400],
    ] as const) {
      const url = `${emu.apiUrl}/data_requests/drq_123/tokens${type ? `?type=${type}` : ''}`;
      const res = await getJson(url, auth, 'POST');
      expect(res.status).toBe(201);
      const token = res.body.token as {
        id: string;
        secret: string;
        expires_at: string;
        data_request_url: string;
      };
      expect(res.body.status).toBe('success');
      expect(token.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(token.expires_at)).toBe(Math.floor((at + seconds * 1000) / 1000) * 1000);
      const form = new URL(token.data_request_url);
      expect(form.pathname).toBe('/data_requests/drq_123');
      expect(form.searchParams.get('token_id')).toBe(token.id);
      expect(form.searchParams.get('token_secret')).toBe(token.secret);
    }
    expect(emu.stats.dataRequestTokensCreated).toBe(3);
  });

  it('answers 404 for an unknown data request and 422 for a bad type', async () => {
    const missing = await getJson(`${emu.apiUrl}/data_requests/drq_nope/tokens`, auth, 'POST');
    expect(missing).toMatchObject({ status: 404, body: { status: 'error' } });
    const bad = await getJson(`${emu.apiUrl}/data_requests/drq_123/tokens?type=invalid`, auth, 'POST');
    expect(bad).toEqual(
      expect.objectContaining({
        status: 422,
        body: {
          status: 'error',
          error:
            'Invalid token type: invalid. Must be one of: api (expiration: 1 hour), email (expiration: 30 days)',
        },
      }),
    );
  });

  it('lets the hosted form link expire', async () => {
    const res = await getJson(`${emu.apiUrl}/data_requests/drq_123/tokens`, auth, 'POST');
    const token = res.body.token as { id: string; secret: string; data_request_url: string };
    expect((await fetch(token.data_request_url)).status).toBe(200);
    emu.advance(3600_000);
    expect(emu.isDataRequestTokenValid(token.id, token.secret)).toBe(false);
    expect((await fetch(token.data_request_url)).status).toBe(401);
  });
});
