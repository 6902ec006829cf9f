import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SigningAuthModule, type SigningAuthModuleOptions, type SigningAuthModuleExtras } from 'signing-auth';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

export interface AdminTestApp {
  app: INestApplication;
  db: TestDatabase;
  /** `http://127.0.0.1:<port>` of the listening app. */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * A real Nest app with the admin API on, listening on 127.0.0.1, on the test database (real server with
 * DATABASE_URL, PGlite otherwise). No global pipes or filters: the admin API must not rely on the host's.
 */
export async function startAdminApp(
  options: Partial<SigningAuthModuleOptions> & SigningAuthModuleExtras = {},
  imports: unknown[] = [],
  port = 0,
): Promise<AdminTestApp> {
  const db = await createTestDatabase();
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot(db.options),
      SigningAuthModule.forRoot({
        encryptionKeys: [newKey('k1')],
        adminApi: true,
        ...options,
        admin: { tokens: [ADMIN_TOKEN], ...options.admin },
      }),
      ...(imports as never[]),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.listen(port, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    db,
    baseUrl: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}
