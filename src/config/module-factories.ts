import { ConfigModule, ConfigService } from '@nestjs/config';
import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { SigningAuthModuleOptions } from 'signing-auth';
import { dataSourceOptions } from '../database/data-source-options.js';
import { validateAppConfig, type AppConfig, type AppConfigNeeds } from './app-config.js';
import { loadAppSecrets } from './dev-secrets.js';

/**
 * Shared by the web app and the CLI commands, so both read the environment the same way. A factory, not a
 * module constant: `ConfigModule.forRoot()` validates when it is called, and the CLI commands (sweep, key
 * rotation, migrations) serve no admin API, so they need only the keys and the database — a batch pod does
 * not get the admin tokens mounted.
 */
export function appConfigModule(needs: AppConfigNeeds = {}): ReturnType<typeof ConfigModule.forRoot> {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    validate: (env) => ({ app: validateAppConfig(env, needs), adminApi: needs.adminApi ?? true }),
  });
}

export const appConfig = (configService: ConfigService): AppConfig => configService.get<AppConfig>('app')!;

export async function typeOrmOptions(configService: ConfigService): Promise<TypeOrmModuleOptions> {
  return { ...(await dataSourceOptions(appConfig(configService))), retryAttempts: 2 };
}

export function signingAuthOptions(configService: ConfigService): SigningAuthModuleOptions {
  const app = appConfig(configService);
  const secrets = loadAppSecrets(app, { adminApi: configService.get<boolean>('adminApi') ?? true });
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
