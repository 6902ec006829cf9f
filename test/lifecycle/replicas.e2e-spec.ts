import type { TestingModule } from '@nestjs/testing';
import { TokenService } from 'signing-auth';
import type { DataSource } from 'typeorm';
import type { DocuSignEmulator } from '../emulators/index.js';
import { DATABASE_URL, createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import {
  bootApp,
  docusignAt,
  readRow,
  seedConnections,
  startLifecycleEmulator,
} from './lifecycle-fixtures.js';
import { Replica, ensureLibraryBuilt } from './replica-process.js';

/** Separate processes cannot share the embedded PGlite database: these need a real server. */
const describeWithServer = DATABASE_URL ? describe : describe.skip;
if (!DATABASE_URL) {
  // Straight to stderr: Jest drops the buffered console output of a file whose tests are all skipped.
  process.stderr.write(
    'Skipping the multi-process token lifecycle tests (three replicas, SIGKILL during a lease): they need a ' +
      'PostgreSQL server. Run them with: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test -- test/lifecycle\n',
  );
}

interface HammerStats {
  calls: number;
  accepted: number;
  rejected: number;
  errors: number;
  firstProblem: string | null;
}

describeWithServer('three replicas in separate processes share one PostgreSQL', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let app: TestingModule;
  let dataSource: DataSource;
  let replicas: Replica[] = [];
  const key = newKey('k1');
  const refreshRequests = () => emu.stats.tokenRequests.refresh_token ?? 0;

  beforeAll(async () => {
    ensureLibraryBuilt();
    db = await createTestDatabase();
    // Short-lived tokens (5 s, refreshed 1 s early) so 30 s of traffic means hundreds of rotations.
    emu = await startLifecycleEmulator({ accessTokenTtlSeconds: 5 });
    ({ app, dataSource } = await bootApp(db, key, docusignAt(emu)));
    const config = {
      databaseUrl: DATABASE_URL!,
      schema: db.schema!,
      encryptionKeys: `${key.id}:${key.key as string}`,
      emulatorUrl: emu.url,
      refresh: { leaseSeconds: 5, providerTimeoutMs: 2_500, leewayFraction: 0.2 },
    };
    replicas = await Promise.all([0, 1, 2].map(() => Replica.start(config)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.kill()));
    await app?.close();
    await emu?.close();
    await db?.close();
  });

  it('hammering 50 rotating connections for 30 s: zero reuse detections, every token accepted', async () => {
    const tenants = await seedConnections(app, emu, {
      prefix: 'busy',
      count: 50,
      now: new Date(),
      accessExpired: true,
    });
    const before = refreshRequests();
    const results = await Promise.all(
      replicas.map((r) =>
        r.request<{ stats: HammerStats }>({ type: 'hammer', tenants, durationMs: 30_000, concurrency: 8 }),
      ),
    );
    const stats = results.map((r) => r.stats);
    for (const s of stats) {
      expect(s).toMatchObject({ rejected: 0, errors: 0, firstProblem: null });
      expect(s.calls).toBeGreaterThan(500);
    }
    expect(emu.stats.reuseDetections).toBe(0);
    // Each connection refreshes about every 4 s (5 s tokens, 20 % leeway): ~8 times in 30 s, not 3x that.
    const refreshes = refreshRequests() - before;
    expect(refreshes).toBeGreaterThanOrEqual(50 * 5);
    expect(refreshes).toBeLessThanOrEqual(50 * 10);
    const statuses = await dataSource.query(
      `SELECT DISTINCT status FROM signing_auth_connections WHERE tenant_id LIKE 'busy-%'`,
    );
    expect(statuses).toEqual([{ status: 'active' }]);
  }, 90_000);

  it('a refresh in one process evicts the token the other processes cached (LISTEN/NOTIFY)', async () => {
    const [tenant] = await seedConnections(app, emu, { prefix: 'notify', count: 1, now: new Date() });
    const replica = replicas[2];
    type Got = { accepted: boolean; accessToken: string };
    const cached = await replica.request<Got>({ type: 'get', tenantId: tenant, withToken: true });
    const tokens = app.get(TokenService);
    await tokens.refreshNow(tenant, 'docusign');
    const stored = (await tokens.getAccessToken(tenant, 'docusign')).accessToken;
    expect(stored).not.toBe(cached.accessToken);
    await new Promise((r) => setTimeout(r, 300)); // the notification travels through the server
    // The replica's entry was still fresh (5 s token, refreshed 1 s early): only the notification explains
    // serving the new token, and it is the one this process stored, not one the replica fetched itself.
    const after = await replica.request<Got>({ type: 'get', tenantId: tenant, withToken: true });
    expect(after).toMatchObject({ accepted: true, accessToken: stored });
  });

  it('a replica killed (SIGKILL) while holding a lease: another refreshes after the lease expires', async () => {
    const [tenant] = await seedConnections(app, emu, {
      prefix: 'crash',
      count: 1,
      now: new Date(),
      accessExpired: true,
    });
    const storedBefore = await readRow(dataSource, tenant);
    // The victim's token request hangs at the emulator and is never processed (the socket is dropped).
    emu.failNext({ drop: true, delayMs: 2_000 }, 1, (req) => req.path === '/oauth/token');
    const [victim, survivor] = replicas;
    void victim.request({ type: 'get', tenantId: tenant }).catch(() => undefined);
    // Kill it mid-call: once its token request is at the emulator, with the lease held.
    const inFlight = () => emu.requests.some((r) => r.path === '/oauth/token' && r.injected);
    for (let i = 0; i < 200 && !inFlight(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(inFlight()).toBe(true);
    const leased = await readRow(dataSource, tenant);
    expect(leased.lease_owner).toEqual(expect.any(String));
    await victim.kill();

    const before = refreshRequests();
    const started = Date.now();
    const reply = await survivor.request<{ accepted?: boolean; error?: string }>({
      type: 'get',
      tenantId: tenant,
    });
    expect(reply).toEqual({ type: 'result', id: expect.any(Number), accepted: true });
    // It waited for the dead replica's lease instead of refreshing alongside it.
    expect(Date.now() - started).toBeGreaterThan(1_000);
    expect(refreshRequests() - before).toBe(1);
    expect(emu.stats.reuseDetections).toBe(0);
    const after = await readRow(dataSource, tenant);
    expect(after).toMatchObject({ status: 'active', lease_owner: null, failure_count: 0 });
    expect(after.refresh_token_ciphertext).not.toBe(storedBefore.refresh_token_ciphertext);
    expect(Number(after.version)).toBeGreaterThan(Number(storedBefore.version));
  }, 30_000);
});
