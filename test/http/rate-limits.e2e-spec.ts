/**
 * Decision 026: provider rate limits, first-class. DocuSign counts API calls per account per hour
 * (providers.md §1.9) and says so on every answer (`X-RateLimit-*`, `X-BurstLimit-*`); the library keeps the
 * latest budget per (tenant, provider, account) and sends nothing while it is known to be spent.
 */
import { randomUUID } from 'node:crypto';
import { AxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
import { register } from 'prom-client';
import {
  AuthorizationFlowService,
  ConnectionsService,
  SigningAuthHttpService,
  SigningAuthMetricNames,
  SigningAuthRateLimitError,
  TokenService,
  type SigningAuthObserver,
} from 'signing-auth';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { rejectionOf, startHttpTestApp, type HttpTestApp } from './http-test-app.js';

const CALLBACK = 'http://localhost:3000/signing-auth/oauth/docusign/callback';
const IK = randomUUID();
const HOUR = 3_600_000;
const tenants = {
  acme: { user: randomUUID(), account: randomUUID() },
  globex: { user: randomUUID(), account: randomUUID() },
};

describe('Rate limits: a tenant whose DocuSign budget is spent gets a typed error; nothing leaves until the reset', () => {
  let emu: DocuSignEmulator;
  let t: HttpTestApp;
  let http: SigningAuthHttpService;
  let connections: ConnectionsService;
  // The app's clock and the emulator's move together; they start one minute past a full hour, so DocuSign's
  // hourly window cannot roll over in the middle of the test.
  let offsetMs = 0;
  const advance = (ms: number) => {
    offsetMs += ms;
    emu.advance(ms);
  };
  const now = () => new Date(Date.now() + offsetMs);
  const events: { name: string; payload: Record<string, unknown> }[] = [];
  const observer: SigningAuthObserver = { onEvent: (name, payload) => events.push({ name, payload }) };
  const sent = (tenant: keyof typeof tenants) =>
    emu.stats.restRequestsByAccount[tenants[tenant].account] ?? 0;
  const call = (tenantId: keyof typeof tenants) =>
    firstValueFrom(
      http.get('/envelopes', { signingAuth: { tenantId, provider: 'docusign', docusignAccountBase: true } }),
    );
  const rateLimited = async (outcome: string) =>
    (await register.getSingleMetric(SigningAuthMetricNames.rateLimited)?.get())?.values.find(
      (v) => v.labels.provider === 'docusign' && v.labels.outcome === outcome,
    )?.value ?? 0;

  beforeAll(async () => {
    emu = await startDocuSignEmulator({
      clients: [{ clientId: IK, secret: 'ds-secret', redirectUris: [CALLBACK] }],
      users: Object.values(tenants).map(({ user, account }) => ({
        sub: user,
        accounts: [{ account_id: account, account_name: 'Account' }],
      })),
    });
    const start = Date.now();
    advance(Math.ceil(start / HOUR) * HOUR + 60_000 - start);
    t = await startHttpTestApp({
      hosts: { docusignOAuthUrl: emu.url },
      clock: now,
      module: { observer, metrics: true },
    });
    http = t.app.get(SigningAuthHttpService);
    connections = t.app.get(ConnectionsService);
    for (const [tenantId, { user }] of Object.entries(tenants)) {
      await connections.upsert(tenantId, 'docusign', {
        config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code' },
        secrets: { secretKey: 'ds-secret' },
      });
      emu.setApprovingUser(user);
      const flow = t.app.get(AuthorizationFlowService);
      const { authorizationUrl } = await flow.start(tenantId, 'docusign');
      const res = await fetch(authorizationUrl, { redirect: 'manual' });
      await flow.complete('docusign', Object.fromEntries(new URL(res.headers.get('location')!).searchParams));
    }
    emu.setApiLimits(tenants.acme.account, { hourly: 3 });
  });
  afterAll(async () => {
    await t?.close();
    await emu?.close();
  });

  it('reads the budget from every answer and shows it on the connection view (this replica)', async () => {
    expect((await call('acme')).status).toBe(200);
    const view = await connections.get('acme', 'docusign');
    expect(view.metadata.rateLimit).toEqual({
      limit: 3,
      remaining: 2,
      resetAt: new Date(Math.ceil(now().getTime() / HOUR) * HOUR).toISOString(),
      blockedUntil: null,
      observedAt: expect.any(String),
      scope: 'replica',
    });
    expect(events.filter((e) => e.name === 'rate_limit.low')).toHaveLength(0);
  });

  it('at 0 left: the typed error with retryAt, no call leaves until the reset, another tenant is not held', async () => {
    await call('acme');
    await call('acme'); // the third and last of the hour
    const low = events.filter((e) => e.name === 'rate_limit.low');
    expect(low).toHaveLength(1);
    expect(low[0].payload).toMatchObject({
      tenantId: 'acme',
      provider: 'docusign',
      account: tenants.acme.account,
      limit: 3,
      remaining: 0,
    });
    expect(sent('acme')).toBe(3);
    const reset = new Date(Math.ceil(now().getTime() / HOUR) * HOUR);

    const refusedBefore = await rateLimited('refused');
    for (let i = 0; i < 5; i++) {
      const error = await rejectionOf(() => call('acme'));
      expect(error).toBeInstanceOf(SigningAuthRateLimitError);
      expect(error).toMatchObject({
        tenantId: 'acme',
        provider: 'docusign',
        account: tenants.acme.account,
        reason: 'spent',
        retryAt: reset,
        budget: { limit: 3, remaining: 0 },
      });
    }
    expect(sent('acme')).toBe(3); // nothing left the process
    expect(await rateLimited('refused')).toBe(refusedBefore + 5);
    expect((await connections.get('acme', 'docusign')).metadata.rateLimit).toMatchObject({
      remaining: 0,
      blockedUntil: reset.toISOString(),
    });

    // Another tenant (another DocuSign account) is not held back.
    expect((await call('globex')).status).toBe(200);
    expect(sent('globex')).toBe(1);

    // Still a minute before the reset: held. At the reset: the call goes out.
    advance(reset.getTime() - now().getTime() - 60_000);
    expect(await rejectionOf(() => call('acme'))).toBeInstanceOf(SigningAuthRateLimitError);
    expect(sent('acme')).toBe(3);
    advance(61_000);
    expect((await call('acme')).status).toBe(200);
    expect(sent('acme')).toBe(4);
  });

  it("DocuSign's own 429 (another app spent the account's budget): its body reaches the caller, the next call is held", async () => {
    emu.setApiLimits(tenants.globex.account, { hourly: 2 });
    advance(HOUR); // a fresh hour
    expect((await call('globex')).status).toBe(200); // 1 of 2 left, as far as this replica knows
    // Another app on the same DocuSign account takes the last unit.
    const { accessToken } = await t.app.get(TokenService).getAccessToken('globex', 'docusign');
    const other = await fetch(`${emu.url}/restapi/v2.1/accounts/${tenants.globex.account}/envelopes`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(other.status).toBe(200);

    const spent = await rejectionOf(() => call('globex'));
    expect(spent).toBeInstanceOf(AxiosError);
    expect((spent as AxiosError).response?.status).toBe(429);
    expect((spent as AxiosError).response?.data).toEqual({
      errorCode: 'HOURLY_APIINVOCATION_LIMIT_EXCEEDED',
      message: 'The maximum number of hourly API invocations has been exceeded',
    });
    const before = sent('globex');
    const held = await rejectionOf(() => call('globex'));
    expect(held).toBeInstanceOf(SigningAuthRateLimitError);
    expect((held as SigningAuthRateLimitError).retryAt).toEqual(
      new Date(Math.ceil(now().getTime() / HOUR) * HOUR),
    );
    expect(sent('globex')).toBe(before);
  });

  it('a 429 with Retry-After is never retried sooner, though the budget headers said nothing', async () => {
    advance(HOUR);
    emu.setApiLimits(tenants.globex.account, { hourly: 1000 });
    emu.failNext({ status: 429, retryAfterSeconds: 120 }, 1, (r) => r.path.startsWith('/restapi/'));
    const limited = await rejectionOf(() => call('globex'));
    expect((limited as AxiosError).response?.status).toBe(429);
    const at = now().getTime();
    const held = await rejectionOf(() => call('globex'));
    expect(held).toBeInstanceOf(SigningAuthRateLimitError);
    const retryAt = (held as SigningAuthRateLimitError).retryAt.getTime();
    expect(retryAt).toBeGreaterThanOrEqual(at + 119_000);
    expect(retryAt).toBeLessThanOrEqual(at + 121_000);
    const before = emu.stats.restRequests;
    advance(100_000);
    expect(await rejectionOf(() => call('globex'))).toBeInstanceOf(SigningAuthRateLimitError);
    expect(emu.stats.restRequests).toBe(before);
    advance(21_000);
    expect((await call('globex')).status).toBe(200);
    expect(await rateLimited('provider_429')).toBeGreaterThanOrEqual(2);
  });
});
