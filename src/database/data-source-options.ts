import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGliteDriver } from 'typeorm-pglite';
import type { DataSourceOptions } from 'typeorm';
import { SIGNING_AUTH_ENTITIES, SIGNING_AUTH_MIGRATIONS } from 'signing-auth';
import type { AppConfig } from '../config/app-config.js';
import { lockEmbeddedDatabase } from './embedded-database-lock.js';

/**
 * A real PostgreSQL server when DATABASE_URL is set; otherwise an embedded one (PGlite, a WebAssembly
 * build of Postgres) kept under `<dataDir>/pglite`, so `npm start` needs no other server.
 * Either way the schema comes from the library's migrations, never from `synchronize`.
 */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: [...SIGNING_AUTH_ENTITIES],
    migrations: [...SIGNING_AUTH_MIGRATIONS],
    migrationsRun: true,
    synchronize: false,
    logging: ['error' as const],
  };
  if (config.databaseUrl) return { ...common, url: config.databaseUrl };
  const dataDir = resolve(join(config.dataDir, 'pglite'));
  mkdirSync(dataDir, { recursive: true });
  lockEmbeddedDatabase(dataDir);
  return {
    ...common,
    driver: new PGliteDriver({ dataDir }).driver,
    installExtensions: false,
  } as DataSourceOptions;
}
