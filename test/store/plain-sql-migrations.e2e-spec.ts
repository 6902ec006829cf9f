import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { SIGNING_AUTH_MIGRATIONS } from 'signing-auth';
import { renderMigrationsSql, type PlainSqlMigration } from '../../src/database/migrations-sql.js';
import { createTestDatabase, DATABASE_URL, type TestDatabase } from '../support/test-database.js';

/**
 * `migrations/` holds the schema as plain SQL for Flyway, Liquibase, sqitch or psql. It must say exactly
 * what the library's TypeORM migrations say: this test regenerates it (stale files fail with the command
 * that fixes them), applies the files to an empty schema — with psql on the real PostgreSQL server when
 * DATABASE_URL is set — and compares the resulting catalog with the one the TypeORM migrations produce.
 */
const MIGRATIONS_DIR = resolve('migrations');

type Query = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

describe('plain-SQL migrations (migrations/)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let typeormSchema: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource({ ...db.options, migrationsRun: false } as never);
    await dataSource.initialize();
    typeormSchema = db.schema ?? 'public';
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.close();
  });

  async function onDisk(): Promise<PlainSqlMigration[]> {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^V\d+__.*\.sql$/.test(f)).sort();
    return Promise.all(
      files.map(async (file) => ({
        file,
        name: '',
        sql: await readFile(join(MIGRATIONS_DIR, file), 'utf8'),
      })),
    );
  }

  /** Runs `work` in a transaction on an empty scratch schema, then rolls everything back. */
  async function inScratchSchema<T>(
    work: (runner: ReturnType<DataSource['createQueryRunner']>, schema: string) => Promise<T>,
  ) {
    const runner = dataSource.createQueryRunner();
    const schema = `sa_scratch_${randomBytes(4).toString('hex')}`;
    await runner.startTransaction();
    try {
      await runner.query(`CREATE SCHEMA "${schema}"`);
      await runner.query(`SET LOCAL search_path TO "${schema}"`);
      return await work(runner, schema);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }

  it('are up to date with the TypeORM migrations (else: npm run migrations:sql)', async () => {
    const rendered = await inScratchSchema((runner) => renderMigrationsSql(SIGNING_AUTH_MIGRATIONS, runner));
    const files = await onDisk();
    const stale = [
      ...rendered.filter((r) => files.find((f) => f.file === r.file)?.sql !== r.sql).map((r) => r.file),
      ...files
        .filter((f) => !rendered.some((r) => r.file === f.file))
        .map((f) => `${f.file} (no such migration)`),
    ];
    if (stale.length > 0) {
      throw new Error(
        `migrations/ is stale: ${stale.join(', ')}. Run \`npm run migrations:sql\` and commit migrations/.`,
      );
    }
    expect(files.map((f) => f.file)).toEqual(rendered.map((r) => r.file));
  });

  it('applied to an empty schema, give the same tables, columns, defaults, indexes and constraints', async () => {
    await dataSource.runMigrations();
    const expected = await catalog((sql, params) => dataSource.query(sql, params), typeormSchema);
    expect(expected.tables).toEqual([
      'signing_auth_connect_sessions',
      'signing_auth_connection_counts',
      'signing_auth_connections',
      'signing_auth_pending_authorizations',
    ]);
    expect(expected.triggers).toHaveLength(4);

    const files = await onDisk();
    let actual: Catalog;
    if (DATABASE_URL) {
      // Exactly what a team without TypeORM does: psql -f, file by file, into an empty schema.
      const schema = `sa_plain_${randomBytes(4).toString('hex')}`;
      await dataSource.query(`CREATE SCHEMA "${schema}"`);
      try {
        for (const { file } of files) {
          execFileSync(
            'psql',
            ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DATABASE_URL, '-f', join(MIGRATIONS_DIR, file)],
            {
              env: { ...process.env, PGOPTIONS: `-c search_path=${schema}` },
              stdio: 'pipe',
            },
          );
        }
        actual = await catalog((sql, params) => dataSource.query(sql, params), schema);
      } finally {
        await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
      }
    } else {
      // Embedded database: the same files, statement by statement, in a scratch schema.
      actual = await inScratchSchema(async (runner, schema) => {
        for (const { sql } of files) {
          for (const statement of sql.replace(/^--.*$/gm, '').split(/;\s*\n\s*\n/)) {
            if (statement.trim()) await runner.query(statement);
          }
        }
        return catalog((q, params) => runner.query(q, params), schema);
      });
    }
    expect(actual).toEqual(expected);
  });
});

interface Catalog {
  tables: string[];
  columns: string[];
  indexes: string[];
  constraints: string[];
  sequences: string[];
  /** Triggers with their definitions, and functions with their bodies (the connection counts). */
  triggers: string[];
  functions: string[];
}

/** The schema as the catalog sees it, TypeORM's own bookkeeping table left out, the schema name masked. */
async function catalog(query: Query, schema: string): Promise<Catalog> {
  const mask = (text: unknown) => String(text).split(`"${schema}".`).join('').split(`${schema}.`).join('');
  const notBookkeeping = (table: unknown) => table !== 'migrations';
  const tables = (
    await query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
      [schema],
    )
  )
    .map((r) => String(r.table_name))
    .filter(notBookkeeping)
    .sort();
  const columns = (
    await query(
      `SELECT table_name, column_name, ordinal_position, data_type, udt_name, character_maximum_length,
              numeric_precision, datetime_precision, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = $1`,
      [schema],
    )
  )
    .filter((r) => notBookkeeping(r.table_name))
    .map((r) =>
      [
        r.table_name,
        r.ordinal_position,
        r.column_name,
        r.data_type,
        r.udt_name,
        r.character_maximum_length,
        r.numeric_precision,
        r.datetime_precision,
        r.is_nullable === 'YES' ? 'null' : 'not null',
        `default ${mask(r.column_default)}`,
      ].join(' '),
    )
    .sort();
  const indexes = (
    await query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1`, [schema])
  )
    .filter((r) => notBookkeeping(r.tablename))
    .map((r) => `${r.indexname}: ${mask(r.indexdef)}`)
    .sort();
  const constraints = (
    await query(
      `SELECT t.relname AS table_name, c.conname, c.contype, pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = $1`,
      [schema],
    )
  )
    .filter((r) => notBookkeeping(r.table_name))
    .map((r) => `${r.table_name}.${r.conname} ${r.contype}: ${mask(r.definition)}`)
    .sort();
  const sequences = (
    await query(`SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = $1`, [schema])
  )
    .map((r) => String(r.sequence_name))
    .filter((name) => !name.startsWith('migrations_'))
    .sort();
  const triggers = (
    await query(
      `SELECT t.tgname, pg_get_triggerdef(t.oid) AS definition
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND NOT t.tgisinternal`,
      [schema],
    )
  )
    .map((r) => `${r.tgname}: ${mask(r.definition)}`)
    .sort();
  const functions = (
    await query(
      `SELECT p.proname, pg_get_function_result(p.oid) AS result, p.prosrc
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1`,
      [schema],
    )
  )
    // Whitespace collapsed: the rendered files re-indent what the TypeORM migration wrote.
    .map((r) => `${r.proname} returns ${r.result}: ${String(r.prosrc).replace(/\s+/g, ' ').trim()}`)
    .sort();
  return { tables, columns, indexes, constraints, sequences, triggers, functions };
}
