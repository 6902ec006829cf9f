import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { validateAppConfig } from './config/app-config.js';
import { setupSwagger } from './docs/swagger.js';

const logger = new Logger('Main');
try {
  const config = validateAppConfig(process.env);
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  setupSwagger(app);
  await app.listen(config.port, '0.0.0.0');
  logger.log(
    `signing-auth example app listening on ${await app.getUrl()} ` +
      `(database: ${config.databaseUrl ? 'DATABASE_URL' : `embedded, in ${config.dataDir}/pglite`})`,
  );
} catch (error) {
  logger.error((error as Error).message);
  process.exit(1);
}
