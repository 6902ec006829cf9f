/**
 * A PostgreSQL database of a scenario's own on the server at ctx.databaseUrl (created empty, dropped at
 * the end), so scenarios never clobber each other's rows or the tests' database. The library's migrations
 * make the schema, as in production.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { SIGNING_AUTH_ENTITIES, SIGNING_AUTH_MIGRATIONS } from 'signing-auth';
import { onInterrupt } from './interrupt-cleanup.js';

export interface BenchDatabase {
  name: string;
  url: string;
  /** TypeORM options for TypeOrmModule.forRoot() (migrations run on start). */
  options: DataSourceOptions;
  /** Runs one statement on the database (its own short-lived connection). */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * TypeORM options for the database at `url`. Only the process that creates the database migrates it;
 * worker processes pass `migrate: false` (options hold classes, so they are rebuilt per process from the URL).
 */
export function databaseOptions(url: string, { migrate }: { migrate: boolean }): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: SIGNING_AUTH_ENTITIES,
    migrations: migrate ? SIGNING_AUTH_MIGRATIONS : [],
    migrationsRun: migrate,
    logging: false,
  };
}

export async function createBenchDatabase(serverUrl: string, scenario: string): Promise<BenchDatabase> {
  const name = `bench_${scenario.replace(/\W/g, '_')}_${randomBytes(3).toString('hex')}`;
  await onServer(serverUrl, `CREATE DATABASE "${name}"`);
  const parsed = new URL(serverUrl);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  const drop = () => onServer(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  const forget = onInterrupt(drop);
  return {
    name,
    url,
    options: databaseOptions(url, { migrate: true }),
    async query(sql, params) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    drop: async () => {
      forget();
      await drop();
    },
  };
}
