import { startOAuth2Emulator, type OAuth2Emulator } from './index.js';
import { basic, getJson, postForm } from './spec-helpers.js';

/** Behaviour every emulator inherits from the base class, exercised through the generic OAuth 2.0 one. */
describe('emulator base: failure injection, latency, clock, log', () => {
  let emu: OAuth2Emulator;
  const auth = { authorization: basic('svc', 's') };
  const token = () => postForm(emu.tokenUrl, { grant_type: 'client_credentials' }, auth);

  beforeAll(async () => {
    emu = await startOAuth2Emulator({ clients: [{ clientId: 'svc', secret: 's' }] });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  it('injects 5xx and 429 with Retry-After, then recovers', async () => {
    emu.failNext({ status: 503 });
    emu.failNext({ status: 429, retryAfterSeconds: 2 });
    const first = await token();
    expect(first).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
    const second = await token();
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('2');
    expect((await token()).status).toBe(200);
    expect(emu.stats).toMatchObject({
      requests: 3,
      injectedFailures: 2,
      tokenRequests: { client_credentials: 1 },
    });
    expect(emu.requests.map((r) => r.injected ?? false)).toEqual([true, true, false]);
  });

  it('random faults: drawn per matching request after queued rules, until switched off', async () => {
    const draws = [0.1, 0.9, 0.9, 0.1, 0.9, 0.9];
    emu.setRandomFaults({
      faults: [
        { probability: 0.2, spec: { status: 503 } },
        { probability: 0.5, spec: { status: 429, retryAfterSeconds: 1 } },
      ],
      match: (r) => r.path === '/token',
      random: () => draws.shift() ?? 0.99,
    });
    emu.failNext({ status: 500 });
    expect((await token()).status).toBe(500); // the queued rule goes first, without a draw
    expect((await token()).status).toBe(503); // 0.1 < 0.2
    expect((await token()).status).toBe(200); // 0.9, 0.9: no fault
    expect((await getJson(`${emu.url}/api/x`)).status).toBe(401); // not matched: no draw
    expect((await token()).status).toBe(503); // 0.1
    emu.setRandomFaults(undefined);
    expect((await token()).status).toBe(200);
    expect(emu.stats.injectedFailures).toBe(3);
  });

  it('injects a custom status/body for `count` matching requests only', async () => {
    emu.failNext({ status: 500, body: { error: 'server_error' } }, 2, (r) => r.path === '/token');
    expect((await getJson(`${emu.url}/api/x`)).status).toBe(401);
    expect((await token()).body).toEqual({ error: 'server_error' });
    expect((await token()).status).toBe(500);
    expect((await token()).status).toBe(200);
  });

  it('drops responses before or after handling', async () => {
    emu.failNext({ drop: true });
    await expect(token()).rejects.toThrow();
    expect(emu.stats.tokenRequests).toEqual({});

    emu.failNext({ drop: true, afterHandling: true });
    await expect(token()).rejects.toThrow();
    // The token was issued even though the client never saw it.
    expect(emu.stats.tokenRequests).toEqual({ client_credentials: 1 });
    expect((await token()).status).toBe(200);
  });

  it('slows responses down (global latency and one-off delay)', async () => {
    emu.setLatency(150);
    let t0 = Date.now();
    await token();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    emu.setLatency(0);
    emu.failNext({ delayMs: 150 });
    t0 = Date.now();
    expect((await token()).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('has an injectable clock', async () => {
    const t = await token();
    expect(emu.isAccessTokenValid(String(t.body.access_token))).toBe(true);
    emu.advance(3600_000);
    expect(emu.isAccessTokenValid(String(t.body.access_token))).toBe(false);
    emu.reset();
    const fixed = Date.UTC(2030, 0, 1);
    emu.setClock(() => new Date(fixed));
    await token();
    expect(emu.requests[0].at.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('logs method, path, query, headers and parsed body', async () => {
    await postForm(`${emu.tokenUrl}?a=1`, { grant_type: 'client_credentials' }, auth);
    await fetch(`${emu.url}/api/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"k":1}',
    });
    const [form, jsonReq] = emu.requests;
    expect(form).toMatchObject({
      method: 'POST',
      path: '/token',
      query: { a: '1' },
      body: { grant_type: 'client_credentials' },
    });
    expect(form.headers.authorization).toBe(auth.authorization);
    expect(jsonReq.body).toEqual({ k: 1 });
  });

  it('closes keep-alive sockets on close()', async () => {
    const other = await startOAuth2Emulator();
    await getJson(`${other.url}/api/x`);
    const t0 = Date.now();
    await other.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(fetch(`${other.url}/api/x`)).rejects.toThrow();
  });
});
