import 'reflect-metadata';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { SIGNING_AUTH_MIGRATIONS } from 'signing-auth';
import { renderMigrationsSql } from '../database/migrations-sql.js';
import { EXIT, runCommand } from './cli-runner.js';

/**
 * `npm run migrations:sql`: writes the library's TypeORM migrations as plain SQL into `migrations/`
 * (one `V<timestamp>__<name>.sql` per migration), running them on a throw-away in-memory database.
 * Run it after adding a migration; the test `test/store/plain-sql-migrations.e2e-spec.ts` fails while the
 * files are stale. Exit codes: cli-runner.ts's EXIT.
 */
await runCommand('migrations:sql', async () => {
  const dir = resolve(process.argv[2] ?? 'migrations');
  const dataSource = new DataSource({
    type: 'postgres',
    driver: new PGliteDriver({ dataDir: 'memory://' }).driver,
    installExtensions: false,
    logging: false,
  } as never);
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    const files = await renderMigrationsSql(SIGNING_AUTH_MIGRATIONS, runner);
    await mkdir(dir, { recursive: true });
    for (const old of (await readdir(dir)).filter((f) => /^V\d+__.*\.sql$/.test(f))) {
      if (!files.some((f) => f.file === old)) await rm(join(dir, old));
    }
    for (const { file, sql } of files) await writeFile(join(dir, file), sql);
    console.log(`Wrote ${files.length} file(s) to ${dir}: ${files.map((f) => f.file).join(', ')}`);
    return EXIT.ok;
  } finally {
    await runner.release();
    await dataSource.destroy();
  }
});
