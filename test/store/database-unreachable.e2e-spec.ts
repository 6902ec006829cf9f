import { TypeOrmModule } from '@nestjs/typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import type { DataSourceOptions } from 'typeorm';
import {
  SigningAuthDatabaseError,
  SigningAuthHealthIndicator,
  SigningAuthModule,
  TokenService,
} from 'signing-auth';
import { TcpProxy } from '../chaos/tcp-proxy.js';
import type { DocuSignEmulator } from '../emulators/index.js';
import {
  bootApp,
  docusignAt,
  seedConnections,
  startLifecycleEmulator,
} from '../lifecycle/lifecycle-fixtures.js';
import { DATABASE_URL, createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

/** The database unreachable (through a proxy this test controls; the shared server is never stopped). */
const describeWithServer = DATABASE_URL ? describe : describe.skip;

describeWithServer('database unreachable', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let proxy: TcpProxy;
  let app: TestingModule;
  let tenants: string[];
  const key = newKey('k1');

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
    const seeder = await bootApp(db, key, docusignAt(emu));
    tenants = await seedConnections(seeder.app, emu, { prefix: 'down', count: 2, now: new Date() });
    await seeder.app.close();
    proxy = await TcpProxy.forUrl(DATABASE_URL!).start();
    app = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          ...db.options,
          url: proxy.rewrite(DATABASE_URL!),
          extra: {
            ...(db.options as { extra?: object }).extra,
            connectionTimeoutMillis: 1_000,
            query_timeout: 3_000,
          },
        } as DataSourceOptions),
        SigningAuthModule.forRoot({ encryptionKeys: [key], sweep: { enabled: false }, ...docusignAt(emu) }),
      ],
    }).compile();
    await app.init();
  });

  afterAll(async () => {
    await proxy?.setMode('pass');
    await app?.close();
    await proxy?.close();
    await emu?.close();
    await db?.close();
  });

  it.each(['refuse', 'blackhole'] as const)(
    '%s: a cached token is still served, a call needing the database gets SigningAuthDatabaseError, health answers "unreachable" within its timeout',
    async (mode) => {
      const tokens = app.get(TokenService);
      const cached = await tokens.getAccessToken(tenants[0], 'docusign');
      await proxy.setMode(mode);
      try {
        expect((await tokens.getAccessToken(tenants[0], 'docusign')).accessToken).toBe(cached.accessToken);
        const error = await tokens.getAccessToken(tenants[1], 'docusign').catch((e: Error) => e);
        expect(error).toBeInstanceOf(SigningAuthDatabaseError);
        const started = Date.now();
        const health = await app
          .get(SigningAuthHealthIndicator)
          .isHealthy('signingAuth', { timeoutMs: 1_500 });
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(health.signingAuth).toMatchObject({ status: 'down', database: 'unreachable' });
      } finally {
        await proxy.setMode('pass');
      }
    },
  );
});
