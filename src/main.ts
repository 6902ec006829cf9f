import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { validateAppConfig } from './config/app-config.js';
import { loadAppSecrets } from './config/dev-secrets.js';
import { openEmbeddedDatabase } from './database/embedded-database.js';
import { QuietStartupLogger } from './startup/quiet-startup.logger.js';
import { startBanner } from './startup/start-banner.js';

const logger = new Logger('Main');
try {
  // `npm run demo` passes --demo; SIGNING_AUTH_DEMO=1 does the same (and is what the banner names).
  if (process.argv.includes('--demo')) process.env.SIGNING_AUTH_DEMO = '1';
  let config = validateAppConfig(process.env);
  // The demo's stand-ins start first: the app's configuration points at them (src/demo/demo-mode.ts).
  const demoMode = config.demo ? await import('./demo/demo-mode.js') : undefined;
  const demo = await demoMode?.prepareDemo(config, process.env);
  if (demo) config = demo.config;
  // Before the app's modules load: the embedded database opens (or is created) meanwhile.
  if (!config.databaseUrl) openEmbeddedDatabase(config.dataDir);
  const secrets = loadAppSecrets(config);
  const [{ NestFactory }, { AppModule }, { setupSwagger }] = await Promise.all([
    import('@nestjs/core'),
    import('./app.module.js'),
    import('./docs/swagger.js'),
  ]);
  const app = await NestFactory.create(AppModule, { logger: new QuietStartupLogger() });
  app.enableShutdownHooks();
  setupSwagger(app);
  await app.listen(config.port, '0.0.0.0');
  const { port } = app.getHttpServer().address() as { port: number };
  const demoConnectUrl = demo && (await demoMode!.seedDemoTenant(app, demo.standIns));
  console.log(
    startBanner({
      baseUrl: `http://localhost:${port}`,
      config,
      devAdminToken: config.adminTokens?.length ? undefined : secrets.adminTokens[0],
      demoConnectUrl,
    }),
  );
} catch (error) {
  logger.error((error as Error).message);
  process.exit(1);
}
