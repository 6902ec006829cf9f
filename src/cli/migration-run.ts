import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { validateAppConfig } from '../config/app-config.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { EXIT, runCommand } from './cli-runner.js';

/**
 * `npm run migration:run`: applies the library's migrations to DATABASE_URL (or the embedded database, with
 * the app stopped). Exit codes: cli-runner.ts's EXIT (2: did not run, one line says why).
 */
await runCommand('migration:run', async () => {
  const dataSource = new DataSource({
    ...(await dataSourceOptions(validateAppConfig(process.env, { adminApi: false }))),
    migrationsRun: false,
  });
  try {
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    process.stdout.write(
      applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}\n` : 'Schema is up to date.\n',
    );
    return EXIT.ok;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
});
