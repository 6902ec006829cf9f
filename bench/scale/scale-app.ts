import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import {
  SIGNING_AUTH_ENTITIES,
  SIGNING_AUTH_MIGRATIONS,
  SigningAuthModule,
  type EncryptionKey,
} from 'signing-auth';

/**
 * The library as an app would host it, on the scenario's own database: migrations run at start, metrics
 * on, the scheduled sweep off (the scenario times the claim statement itself), development mode so the
 * loopback token endpoint is allowed.
 */
export async function startScaleApp(url: string, keys: EncryptionKey[]): Promise<INestApplicationContext> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url,
        entities: SIGNING_AUTH_ENTITIES,
        migrations: SIGNING_AUTH_MIGRATIONS,
        migrationsRun: true,
        logging: false,
      } as DataSourceOptions),
      SigningAuthModule.forRoot({
        encryptionKeys: keys,
        sweep: { enabled: false },
        metrics: true,
        developmentMode: true,
      }),
    ],
  })
  class ScaleBenchModule {}
  const app = await NestFactory.createApplicationContext(ScaleBenchModule, { logger: ['error'] });
  await app.init();
  return app;
}
