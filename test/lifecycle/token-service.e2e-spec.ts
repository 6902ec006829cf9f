import type { TestingModule } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import {
  ConnectionNotFoundError,
  ConnectionsService,
  SigningAuthReauthRequiredError,
  TokenService,
  type SigningAuthObserver,
} from 'signing-auth';
import { TokenCache } from '../../libs/signing-auth/src/tokens/token-cache.js';
import type { DocuSignEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import {
  bootApp,
  consentAtEmulator,
  docusignAt,
  readRow,
  seedConnections,
  startLifecycleEmulator,
} from './lifecycle-fixtures.js';

describe('TokenService: always-valid tokens on demand (DocuSign emulator, 600 s tokens)', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let app: TestingModule;
  let dataSource: DataSource;
  let tokens: TokenService;
  let offsetMs = 0;
  const events: { name: string; payload: Record<string, unknown> }[] = [];
  const observer: SigningAuthObserver = { onEvent: (name, payload) => events.push({ name, payload }) };
  const advance = (ms: number) => {
    offsetMs += ms;
    emu.advance(ms);
  };
  // Every refresh request that reached the emulator, injected failures included.
  const refreshRequests = () =>
    emu.requests.filter(
      (r) => r.path === '/oauth/token' && (r.body as Record<string, string>)?.grant_type === 'refresh_token',
    ).length;
  const now = () => new Date(Date.now() + offsetMs);

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator({ accessTokenTtlSeconds: 600 });
    ({ app, dataSource } = await bootApp(db, newKey('k1'), {
      ...docusignAt(emu),
      observer,
      clock: now,
      refresh: { backoffBaseMs: 30_000 },
    }));
    tokens = app.get(TokenService);
  });

  afterAll(async () => {
    await app?.close();
    await emu?.close();
    await db?.close();
  });

  it('1,000 concurrent calls for one expired token cause exactly one token request', async () => {
    const [tenant] = await seedConnections(app, emu, {
      prefix: 'burst',
      count: 1,
      now: now(),
      accessExpired: true,
    });
    const before = refreshRequests();
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => tokens.getAccessToken(tenant, 'docusign')),
    );
    expect(refreshRequests() - before).toBe(1);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    expect(emu.isAccessTokenValid(results[0].accessToken)).toBe(true);
    expect(results[0]).toMatchObject({ tokenType: 'Bearer', metadata: { accountId: expect.any(String) } });
    expect(await tokens.getAuthorizationHeader(tenant, 'docusign')).toBe(`Bearer ${results[0].accessToken}`);
    const row = await readRow(dataSource, tenant);
    expect(row).toMatchObject({ status: 'active', failure_count: 0, lease_owner: null });
    const refreshed = events.find((e) => e.name === 'token.refreshed' && e.payload.tenantId === tenant);
    expect(refreshed?.payload).toMatchObject({ provider: 'docusign', trigger: 'on_demand' });
    expect(JSON.stringify(refreshed)).not.toContain(results[0].accessToken);
  });

  it('serves a cached token without reading the database, until expiry minus a proportional leeway', async () => {
    const [tenant] = await seedConnections(app, emu, {
      prefix: 'cache',
      count: 1,
      now: now(),
      accessExpired: true,
    });
    const first = await tokens.getAccessToken(tenant, 'docusign');
    // Garble the stored token: a cache hit must not notice, because it never reads the row.
    await dataSource.query(
      `UPDATE signing_auth_connections SET access_token_ciphertext = 'garbage' WHERE tenant_id = $1`,
      [tenant],
    );
    const cache = app.get(TokenCache);
    const hits = cache.stats.hits;
    expect((await tokens.getAccessToken(tenant, 'docusign')).accessToken).toBe(first.accessToken);
    expect(cache.stats.hits).toBe(hits + 1);
    // 600 s token: leeway = min(300 s, 10 % of 600 s) = 60 s. At 530 s it is still served from the cache.
    advance(530_000);
    expect((await tokens.getAccessToken(tenant, 'docusign')).accessToken).toBe(first.accessToken);
    // Put a real ciphertext back via a refresh-now, then pass the leeway: a new token is fetched.
    await dataSource.query(
      `UPDATE signing_auth_connections SET access_token_ciphertext = NULL WHERE tenant_id = $1`,
      [tenant],
    );
    advance(15_000);
    const before = refreshRequests();
    const second = await tokens.getAccessToken(tenant, 'docusign');
    expect(refreshRequests() - before).toBe(1);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(emu.isAccessTokenValid(second.accessToken)).toBe(true);
  });

  it('forceRefresh after a 401: 50 callers with the rejected token share one refresh', async () => {
    const [tenant] = await seedConnections(app, emu, { prefix: 'force', count: 1, now: now() });
    const rejected = (await tokens.getAccessToken(tenant, 'docusign')).accessToken;
    const before = refreshRequests();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        tokens.forceRefresh(tenant, 'docusign', { rejectedAccessToken: rejected }),
      ),
    );
    expect(refreshRequests() - before).toBe(1);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    expect(results[0].accessToken).not.toBe(rejected);
    expect(emu.isAccessTokenValid(results[0].accessToken)).toBe(true);
    // A late caller with the same rejected token gets the new one without another refresh.
    await tokens.forceRefresh(tenant, 'docusign', { rejectedAccessToken: rejected });
    expect(refreshRequests() - before).toBe(1);
  });

  it('a transient failure backs off (no hot loop), serves the still-valid token, then recovers', async () => {
    const [tenant] = await seedConnections(app, emu, { prefix: 'flaky', count: 1, now: now() });
    const old = await tokens.getAccessToken(tenant, 'docusign');
    advance(560_000); // within the leeway, not expired
    emu.failNext({ status: 503 }, 1, (req) => req.path === '/oauth/token');
    const before = refreshRequests();
    expect((await tokens.getAccessToken(tenant, 'docusign')).accessToken).toBe(old.accessToken);
    const failed = await readRow(dataSource, tenant);
    expect(failed).toMatchObject({ status: 'error', failure_count: 1, lease_owner: null });
    expect(new Date(failed.next_refresh_at as string).getTime()).toBeGreaterThan(now().getTime());
    expect(String(failed.last_error)).toMatch(/503|temporarily_unavailable/);
    for (let i = 0; i < 20; i++) await tokens.getAccessToken(tenant, 'docusign');
    expect(refreshRequests() - before).toBe(1); // nothing more until the backoff ends
    const failure = events.find((e) => e.name === 'token.refresh_failed' && e.payload.tenantId === tenant);
    expect(failure?.payload).toMatchObject({ kind: 'transient', failureCount: 1 });
    advance(30_000); // past the backoff (at most backoffBaseMs for the first failure)
    const fresh = await tokens.getAccessToken(tenant, 'docusign');
    expect(fresh.accessToken).not.toBe(old.accessToken);
    expect(await readRow(dataSource, tenant)).toMatchObject({
      status: 'active',
      failure_count: 0,
      last_error: null,
    });
  });

  it('a revoked grant marks the connection needs_reauth, stops retries and keeps the stored refresh token', async () => {
    const [tenant] = await seedConnections(app, emu, {
      prefix: 'revoked',
      count: 1,
      now: now(),
      accessExpired: true,
    });
    const first = await tokens.getAccessToken(tenant, 'docusign');
    emu.revokeToken(first.accessToken);
    const kept = (await readRow(dataSource, tenant)).refresh_token_ciphertext;
    advance(600_000);
    const error = await tokens.getAccessToken(tenant, 'docusign').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningAuthReauthRequiredError);
    expect(error).toMatchObject({
      tenantId: tenant,
      provider: 'docusign',
      reason: expect.stringContaining('invalid_grant'),
    });
    const row = await readRow(dataSource, tenant);
    expect(row).toMatchObject({
      status: 'needs_reauth',
      next_refresh_at: null,
      refresh_token_ciphertext: kept,
    });
    expect(events.some((e) => e.name === 'connection.needs_reauth' && e.payload.tenantId === tenant)).toBe(
      true,
    );
    const before = refreshRequests();
    await expect(tokens.getAccessToken(tenant, 'docusign')).rejects.toBeInstanceOf(
      SigningAuthReauthRequiredError,
    );
    expect(refreshRequests()).toBe(before);
  });

  it('a forced refresh of a needs_reauth connection does not re-send the dead refresh token: 409 and no call, until the grant changes', async () => {
    const [tenant] = await seedConnections(app, emu, {
      prefix: 'dead',
      count: 1,
      now: now(),
      accessExpired: true,
    });
    const first = await tokens.getAccessToken(tenant, 'docusign');
    emu.revokeToken(first.accessToken);
    advance(600_000);
    await expect(tokens.getAccessToken(tenant, 'docusign')).rejects.toBeInstanceOf(
      SigningAuthReauthRequiredError,
    );
    const before = refreshRequests();
    const forced = await tokens.refreshNow(tenant, 'docusign').catch((e: unknown) => e);
    expect(forced).toBeInstanceOf(SigningAuthReauthRequiredError); // the admin API answers it with 409
    expect((forced as Error).message).toMatch(/not sent again.*authorize the connection again/);
    expect(refreshRequests()).toBe(before);
    expect((await app.get(ConnectionsService).get(tenant, 'docusign')).metadata).not.toHaveProperty(
      'refusedGrant',
    );

    // The stored grant changed since it was marked (a new refresh token written in): one forced refresh goes out.
    const fresh = await consentAtEmulator(emu);
    await dataSource.query(
      `UPDATE signing_auth_connections SET refresh_token_ciphertext = $3 WHERE tenant_id = $1 AND provider = $2`,
      [
        tenant,
        'docusign',
        app.get(ConnectionCipher).encrypt(tenant, 'docusign', 'refreshTokenCiphertext', fresh.refreshToken),
      ],
    );
    const view = await tokens.refreshNow(tenant, 'docusign');
    expect(view.status).toBe('active');
    expect(refreshRequests()).toBe(before + 1);
    // The internal mark never reaches a token's metadata (nor a view).
    expect((await tokens.getAccessToken(tenant, 'docusign')).metadata).not.toHaveProperty('refusedGrant');
    expect(view.metadata).not.toHaveProperty('refusedGrant');
  });

  it('stops serving a cached token as soon as the connection is deleted', async () => {
    const [tenant] = await seedConnections(app, emu, { prefix: 'gone', count: 1, now: now() });
    await tokens.getAccessToken(tenant, 'docusign');
    await app.get(ConnectionsService).delete(tenant, 'docusign');
    await expect(tokens.getAccessToken(tenant, 'docusign')).rejects.toBeInstanceOf(ConnectionNotFoundError);
  });

  it('names the tenant and provider of a missing connection', async () => {
    await expect(tokens.getAccessToken('nobody', 'docusign')).rejects.toBeInstanceOf(ConnectionNotFoundError);
  });
});
