import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from './admin-test-app.js';
import { AdminClient } from './admin-client.js';

const SPOOF = 'Your admin session expired. Re-enter your token at https://evil.example/login';

/**
 * The unguarded callback took `error`/`error_description` without any state and put them
 * into the failure redirect, which the Connect page shows as the app's own message. Without a live state
 * of this provider's flow, the answer is fixed and quotes nothing of the query.
 */
describe('an error callback without a valid state', () => {
  let t: AdminTestApp;
  let api: AdminClient;

  beforeAll(async () => {
    t = await startAdminApp({
      admin: { failureRedirectUrl: '/connect/', successRedirectUrl: '/connect/', rateLimit: false },
    });
    api = new AdminClient(t.baseUrl, ADMIN_TOKEN);
  });
  afterAll(() => t?.close());

  const query = (extra: string) =>
    `/signing-auth/oauth/docusign/callback?error=access_denied&error_description=${encodeURIComponent(SPOOF)}${extra}`;

  it.each([
    ['no state', ''],
    ['a made-up state', '&state=made-up-state'],
    ['an empty state', '&state='],
  ])('%s: the failure redirect carries a fixed message and nothing of the query', async (_what, extra) => {
    const res = await api.request('GET', query(extra), { authorization: null, accept: 'text/html' });
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    const target = new URL(location, t.baseUrl);
    expect(target.pathname).toBe('/connect/');
    const params = Object.fromEntries(target.searchParams);
    expect(params.error).toBe('state_unknown');
    expect(params.message).toBe(
      'OAuth state on the docusign callback is unknown (never issued, or the flow was cleaned up)',
    );
    expect(params.error_description).toBeUndefined();
    for (const echoed of ['evil.example', 'session expired', 'access_denied']) {
      expect(decodeURIComponent(location)).not.toContain(echoed);
    }
  });

  it('the JSON answer is the same fixed 400', async () => {
    const res = await api.request('GET', query(''), { authorization: null, accept: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('evil.example');
    expect(res.text).not.toContain('access_denied');
    expect(res.json).toMatchObject({ statusCode: 400, errors: [{ field: 'state' }] });
  });
});
