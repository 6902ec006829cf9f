import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { validateAppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';

/**
 * The example app's data source for the TypeORM CLI, with the library's entities and migrations:
 *   npm run build && npx typeorm migration:show -d dist/src/database/data-source.js
 *   npx typeorm migration:run -d dist/src/database/data-source.js
 * Same environment as the app (DATABASE_URL, or the embedded database under SIGNING_AUTH_DATA_DIR).
 */
export default new DataSource({
  ...(await dataSourceOptions(validateAppConfig(process.env, { adminApi: false }))),
  migrationsRun: false,
});
