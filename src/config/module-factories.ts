import { ConfigModule, ConfigService } from '@nestjs/config';
import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { SigningAuthModuleOptions } from 'signing-auth';
import { dataSourceOptions } from '../database/data-source-options.js';
import { validateAppConfig, type AppConfig } from './app-config.js';
import { loadAppSecrets } from './dev-secrets.js';

/** Shared by the web app and the CLI commands, so both read the environment the same way. */
export const appConfigModule = ConfigModule.forRoot({
  isGlobal: true,
  ignoreEnvFile: true,
  validate: (env) => ({ app: validateAppConfig(env) }),
});

export const appConfig = (configService: ConfigService): AppConfig => configService.get<AppConfig>('app')!;

export async function typeOrmOptions(configService: ConfigService): Promise<TypeOrmModuleOptions> {
  return { ...(await dataSourceOptions(appConfig(configService))), retryAttempts: 2 };
}

export function signingAuthOptions(configService: ConfigService): SigningAuthModuleOptions {
  const app = appConfig(configService);
  const secrets = loadAppSecrets(app);
  return {
    encryptionKeys: secrets.encryptionKeys,
    activeKeyId: secrets.activeKeyId,
    publicUrl: app.publicUrl,
    hosts: app.hosts,
    sweep: app.sweepCron ? { cron: app.sweepCron } : undefined,
    // With connectPage (app.module.ts) the OAuth callback sends the browser back to the page by itself.
    admin: { tokens: secrets.adminTokens },
    // Checked by the library at start-up: each must be an origin (https://app.example.com).
    connect: app.connectReturnOrigins ? { returnUrlOrigins: app.connectReturnOrigins } : undefined,
    metrics: true,
  };
}
