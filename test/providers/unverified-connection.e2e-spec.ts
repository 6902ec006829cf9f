import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { SigningAuthSweeper, TokenService } from 'signing-auth';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from '../admin/admin-test-app.js';
import { TcpProxy } from '../chaos/tcp-proxy.js';
import { startDocSpringEmulator, type DocSpringEmulator } from '../emulators/index.js';

interface ViewBody {
  ok?: boolean;
  connection?: { status: string; lastError: string | null };
  status?: string;
  lastError?: string | null;
  message?: string;
  metadata?: Record<string, unknown>;
}

const SECRET = `dsp-${randomUUID()}`;

/**
 * Decision 028: credentials the provider never accepted never become `active` by a local step.
 * DocSpring's refresh calls nothing (its "token" is the Basic pair), so a token saved while DocSpring was
 * unreachable used to turn `active` on the next sweep or "Refresh now" without ever being checked. Now
 * every retry of such a connection re-runs the verification (`GET /api/v1/authentication`): only
 * DocSpring's yes makes it active; its no leaves it not active.
 */
describe('a connection saved unchecked is re-verified, never promoted locally (DocSpring)', () => {
  let dsp: DocSpringEmulator;
  let proxy: TcpProxy;
  let t: AdminTestApp;

  beforeAll(async () => {
    dsp = await startDocSpringEmulator({ apiTokens: [{ id: 'tok_1', secret: SECRET }] });
    const emulator = new URL(dsp.url);
    // The app reaches DocSpring only through this proxy: `refuse` makes it unreachable (ECONNREFUSED).
    proxy = await new TcpProxy({ host: emulator.hostname, port: Number(emulator.port) }).start();
    t = await startAdminApp({
      hosts: { docspringApiUrl: `http://127.0.0.1:${proxy.port}` },
      sweep: { enabled: false },
    });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await dsp?.close();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.baseUrl}/signing-auth/tenants/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as ViewBody };
  };
  const save = (tenant: string, secret: string) =>
    api('PUT', `${tenant}/connections/docspring`, {
      config: { region: 'us', tokenId: 'tok_1' },
      secrets: { tokenSecret: secret },
    });
  /** Every `GET /api/v1/authentication` DocSpring received, refused ones included. */
  const authenticationCalls = () =>
    dsp.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/authentication').length;
  const view = async (tenant: string) => (await api('GET', `${tenant}/connections/docspring`)).body;
  /** Makes the row due now, so the sweep claims it (the save scheduled a retry 30 s+ away). */
  const makeDue = async (tenant: string) => {
    const ds = t.app.get<DataSource>(getDataSourceToken());
    await ds.query(
      `UPDATE "signing_auth_connections" SET "next_refresh_at" = now() - interval '1 second'
        WHERE "tenant_id" = $1`,
      [tenant],
    );
  };

  it('saved while DocSpring is unreachable: error, and neither the sweep nor "Refresh now" makes it active offline', async () => {
    await proxy.setMode('refuse');
    const saved = await save('made-up', 'made-up-secret');
    expect(saved.status).toBe(200);
    expect(saved.body.status).toBe('error');
    // Row 5: the reason names the option and the example app's variable that move the host.
    expect(saved.body.lastError).toContain('hosts.docspringApiUrl');
    expect(saved.body.lastError).toContain('in the example app SIGNING_AUTH_DOCSPRING_API_URL');

    await makeDue('made-up');
    await t.app.get(SigningAuthSweeper).runOnce();
    expect(await view('made-up')).toMatchObject({ status: 'error' });

    const now = await api('POST', 'made-up/connections/docspring/refresh');
    expect(now.status).toBe(502);
    expect(await view('made-up')).toMatchObject({ status: 'error' });
    await expect(t.app.get(TokenService).getAccessToken('made-up', 'docspring')).rejects.toThrow();
  });

  it('reachable but refusing: the sweep asks DocSpring, which says no → not active, the reason kept', async () => {
    await proxy.setMode('pass');
    const before = authenticationCalls();
    await makeDue('made-up');
    await t.app.get(SigningAuthSweeper).runOnce();
    expect(authenticationCalls()).toBe(before + 1);
    const after = await view('made-up');
    expect(after.status).not.toBe('active');
    expect(after.status).toBe('needs_reauth');
    expect(after.lastError).toMatch(/Invalid API token secret|401/);

    // "Refresh now" asks again and still does not promote it.
    const now = await api('POST', 'made-up/connections/docspring/refresh');
    expect(now.status).not.toBe(200);
    expect(authenticationCalls()).toBe(before + 2);
    expect((await view('made-up')).status).toBe('needs_reauth');
  });

  it('reachable and accepting: DocSpring says yes → active, the marker gone', async () => {
    await proxy.setMode('refuse');
    const saved = await save('real', SECRET);
    expect(saved.body).toMatchObject({ status: 'error', metadata: { unverified: true } });

    await proxy.setMode('pass');
    const before = dsp.stats.authenticationRequests;
    const now = await api('POST', 'real/connections/docspring/refresh');
    expect(now.status).toBe(200);
    expect(now.body.status).toBe('active');
    expect(now.body.lastError).toBeNull();
    expect(now.body.metadata?.unverified).toBeUndefined();
    expect(dsp.stats.authenticationRequests).toBe(before + 1);

    // Once accepted, DocSpring's refresh is local again: no further authentication calls.
    await t.app.get(TokenService).getAccessToken('real', 'docspring');
    await api('POST', 'real/connections/docspring/refresh');
    expect(dsp.stats.authenticationRequests).toBe(before + 1);
  });

  it('"Test connection" on an unverified row: one check, and the yes makes it active', async () => {
    await proxy.setMode('refuse');
    expect((await save('tested', SECRET)).body.status).toBe('error');
    const offline = await api('POST', 'tested/connections/docspring/test');
    expect(offline.body).toMatchObject({ ok: false, connection: { status: 'error' } });
    await proxy.setMode('pass');
    const before = authenticationCalls();
    const online = await api('POST', 'tested/connections/docspring/test');
    expect(online.status).toBe(200);
    expect(online.body).toMatchObject({ ok: true, connection: { status: 'active', lastError: null } });
    expect(authenticationCalls()).toBe(before + 1);
  });

  it('via the sweep too: an unverified row that DocSpring accepts turns active', async () => {
    await proxy.setMode('refuse');
    expect((await save('swept', SECRET)).body.status).toBe('error');
    await proxy.setMode('pass');
    await makeDue('swept');
    const report = await t.app.get(SigningAuthSweeper).runOnce();
    expect(report).toBeDefined();
    expect(await view('swept')).toMatchObject({ status: 'active', lastError: null });
  });
});
