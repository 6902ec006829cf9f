import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { validateAppConfig } from '../config/app-config.js';
import { dataSourceOptions } from '../database/data-source-options.js';

/** `npm run migration:run`: applies the library's migrations to DATABASE_URL (or the embedded database). */
const dataSource = new DataSource({
  ...(await dataSourceOptions(validateAppConfig(process.env, { adminApi: false }))),
  migrationsRun: false,
});
try {
  await dataSource.initialize();
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  console.log(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'Schema is up to date.');
} catch (error) {
  console.error(`Migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  if (dataSource.isInitialized) await dataSource.destroy();
}
