import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { SigningAuthHealthIndicator } from 'signing-auth';

/**
 * `GET /health` through @nestjs/terminus: 200 `{ status: 'ok', info: { signingAuth: { database, needsReauth,
 * failing, overdue, ... } } }` while the database answers, 503 when it does not. Tenants that must
 * reconnect are reported, not treated as the app being down (see SigningAuthHealthOptions to change that).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly signingAuth: SigningAuthHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.signingAuth.isHealthy('signingAuth')]);
  }
}
