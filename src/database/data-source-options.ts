import type { DataSourceOptions } from 'typeorm';
import { SIGNING_AUTH_ENTITIES, SIGNING_AUTH_MIGRATIONS } from 'signing-auth';
import type { AppConfig } from '../config/app-config.js';
import { openEmbeddedDatabase } from './embedded-database.js';

/**
 * A real PostgreSQL server when DATABASE_URL is set; otherwise an embedded one (PGlite, a WebAssembly
 * build of Postgres) kept under `<dataDir>/pglite`, so `npm start` needs no other server.
 * Either way the schema comes from the library's migrations, never from `synchronize`.
 * Resolves once the embedded database is open: typeorm-pglite keeps one PGlite instance per process but
 * does not guard its creation, so TypeORM must not connect while `main.ts`'s early open is still running.
 */
export async function dataSourceOptions(config: AppConfig): Promise<DataSourceOptions> {
  const common = {
    type: 'postgres' as const,
    entities: [...SIGNING_AUTH_ENTITIES],
    migrations: [...SIGNING_AUTH_MIGRATIONS],
    migrationsRun: true,
    synchronize: false,
    logging: ['error' as const],
  };
  if (config.databaseUrl) return { ...common, url: config.databaseUrl };
  const embedded = openEmbeddedDatabase(config.dataDir);
  await embedded.ready;
  return {
    ...common,
    driver: embedded.driver,
    installExtensions: false,
  } as DataSourceOptions;
}
