import type { TestingModule } from '@nestjs/testing';
import { TokenService } from 'signing-auth';
import type { DataSource } from 'typeorm';
import type { DocuSignEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import {
  bootApp,
  docusignAt,
  readRow,
  seedConnections,
  startLifecycleEmulator,
} from './lifecycle-fixtures.js';

/**
 * Two replicas whose clocks disagree, a provider that takes 6 s to answer. Leases are judged on the
 * database's clock, so the replica whose clock runs ahead never takes a lease the other still holds, and a
 * rotating refresh token is never sent twice (the emulator revokes the grant on reuse, like DocuSign).
 */
describe('replica clocks that disagree never cause a refresh token to be sent twice', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let a: TestingModule;
  let dataSource: DataSource;
  const key = newKey('k1');
  const refreshRequests = () => emu.stats.tokenRequests.refresh_token ?? 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
    ({ app: a, dataSource } = await bootApp(db, key, docusignAt(emu)));
  });

  afterAll(async () => {
    await a?.close();
    await emu?.close();
    await db?.close();
  });

  it.each([
    ['60 s', 60_000],
    ['25 s', 25_000],
  ])(
    'second replica %s ahead, provider answering in 6 s: zero reuse',
    async (label, offsetMs) => {
      const b = await bootApp(db, key, { ...docusignAt(emu), clock: () => new Date(Date.now() + offsetMs) });
      try {
        const tenants = await seedConnections(a, emu, {
          prefix: `skew${offsetMs}`,
          count: 5,
          now: new Date(),
          accessExpired: true,
        });
        emu.failNext({ delayMs: 6_000 }, 100, (req) => req.path === '/oauth/token');
        const before = refreshRequests();
        const results = await Promise.all(
          tenants.map(async (tenant) => {
            const first = a.get(TokenService).getAccessToken(tenant, 'docusign');
            // The second replica asks while the first replica's provider call is in flight.
            await new Promise((r) => setTimeout(r, 1_000));
            const second = await b.app.get(TokenService).getAccessToken(tenant, 'docusign');
            return [await first, second];
          }),
        );
        emu.clearFailures();
        expect({ label, reuse: emu.stats.reuseDetections }).toEqual({ label, reuse: 0 });
        expect(refreshRequests() - before).toBe(tenants.length);
        for (const [first, second] of results) {
          expect(second.accessToken).toBe(first.accessToken);
          expect(emu.isAccessTokenValid(first.accessToken)).toBe(true);
        }
        for (const tenant of tenants) {
          expect(await readRow(dataSource, tenant)).toMatchObject({ status: 'active', lease_owner: null });
        }
      } finally {
        emu.clearFailures();
        await b.app.close();
      }
    },
    60_000,
  );
});
