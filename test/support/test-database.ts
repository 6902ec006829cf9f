import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PGliteDriver } from 'typeorm-pglite';
import type { DataSourceOptions } from 'typeorm';
import { SIGNING_AUTH_ENTITIES, SIGNING_AUTH_MIGRATIONS } from 'signing-auth';

/**
 * A database for one test file.
 * - With DATABASE_URL: a fresh schema on that PostgreSQL server (dropped on close), so test files never
 *   see each other's rows.
 * - Without: an in-memory embedded Postgres (PGlite), so `npm test` passes on a machine with only Node.
 * Either way the schema is made by the library's migrations, as in production.
 */
export interface TestDatabase {
  kind: 'postgres' | 'pglite';
  /** Options for TypeOrmModule.forRoot() / new DataSource(). */
  options: DataSourceOptions;
  /** Connection string with the schema on the search path (real server only), for other processes. */
  url?: string;
  schema?: string;
  close(): Promise<void>;
}

export const DATABASE_URL = process.env.DATABASE_URL;

export async function createTestDatabase(): Promise<TestDatabase> {
  const common = {
    type: 'postgres' as const,
    entities: SIGNING_AUTH_ENTITIES,
    migrations: SIGNING_AUTH_MIGRATIONS,
    migrationsRun: true,
    logging: false,
  };
  if (!DATABASE_URL) {
    // On disk rather than in memory: typeorm-pglite keeps one instance per process and closes it with the
    // first app that shuts down, so a test that boots a second app must find the data again.
    const dataDir = await mkdtemp(join(tmpdir(), 'signing-auth-pglite-'));
    return {
      kind: 'pglite',
      options: {
        ...common,
        driver: new PGliteDriver({ dataDir }).driver,
        installExtensions: false,
      } as DataSourceOptions,
      close: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `sa_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  return {
    kind: 'postgres',
    schema,
    url: withSearchPath(DATABASE_URL, schema),
    options: { ...common, url: DATABASE_URL, schema, extra: { options: `-c search_path=${schema}` } },
    close: async () => {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}
