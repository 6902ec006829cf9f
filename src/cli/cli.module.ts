import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SigningAuthModule } from 'signing-auth';
import { appConfigModule, signingAuthOptions, typeOrmOptions } from '../config/module-factories.js';

/** The app without HTTP, scheduler or sweep: what one-off commands such as key rotation need. */
@Module({
  imports: [
    appConfigModule,
    TypeOrmModule.forRootAsync({ inject: [ConfigService], useFactory: typeOrmOptions }),
    SigningAuthModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ ...signingAuthOptions(config), sweep: { enabled: false } }),
    }),
  ],
})
export class CliModule {}
