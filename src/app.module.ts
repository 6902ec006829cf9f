import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SigningAuthModule } from 'signing-auth';
import { appConfigModule, signingAuthOptions, typeOrmOptions } from './config/module-factories.js';
import { HealthController } from './health/health.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { RootController } from './root/root.controller.js';

/**
 * The example host app. It owns TypeORM, the scheduler and the event emitter; signing-auth plugs into
 * them — these are the "three lines" a user adds.
 */
@Module({
  imports: [
    appConfigModule(),
    TypeOrmModule.forRootAsync({ inject: [ConfigService], useFactory: typeOrmOptions }),
    ScheduleModule.forRoot(),
    EventEmitterModule.forRoot(),
    TerminusModule,
    SigningAuthModule.forRootAsync({
      adminApi: true,
      // The library's Connect page at /signing-auth/connect/ (operator and tenant modes).
      connectPage: true,
      inject: [ConfigService],
      useFactory: signingAuthOptions,
    }),
  ],
  controllers: [RootController, HealthController, MetricsController],
})
export class AppModule {}
