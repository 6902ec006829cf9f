/** The library in a Nest application context, as a host app wires it, for the scenarios. */
import { randomBytes } from 'node:crypto';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { SigningAuthModule, type SigningAuthModuleOptions } from 'signing-auth';

/** A fresh random key: the figures never depend on a particular key. */
export function benchEncryptionKeys(): { id: string; key: string }[] {
  return [{ id: 'bench', key: randomBytes(32).toString('base64') }];
}

export async function startBenchApp(
  database: DataSourceOptions,
  options: Partial<SigningAuthModuleOptions> = {},
): Promise<INestApplicationContext> {
  @Module({
    imports: [
      TypeOrmModule.forRoot(database),
      SigningAuthModule.forRoot({
        encryptionKeys: benchEncryptionKeys(),
        sweep: { enabled: false },
        // The provider is a loopback server: allowed in development mode (named, so NODE_ENV cannot change it).
        developmentMode: true,
        ...options,
      }),
    ],
  })
  class BenchAppModule {}
  const app = await NestFactory.createApplicationContext(BenchAppModule, { logger: ['error', 'warn'] });
  await app.init();
  return app;
}
