import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SigningAuthModule } from 'signing-auth';
import { appConfigModule, signingAuthOptions, typeOrmOptions } from '../config/module-factories.js';

/**
 * The app without HTTP, scheduler or sweep: what one-off commands such as key rotation need. No admin API,
 * so no admin tokens: keys and database only.
 */
@Module({
  imports: [
    appConfigModule({ adminApi: false }),
    TypeOrmModule.forRootAsync({ inject: [ConfigService], useFactory: typeOrmOptions }),
    SigningAuthModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ ...signingAuthOptions(config), sweep: { enabled: false } }),
    }),
  ],
})
export class CliModule {}
