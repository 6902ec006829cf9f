import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { register } from 'prom-client';

/**
 * `GET /metrics` in Prometheus text format: prom-client's default registry, where signing-auth registers
 * its metrics when `metrics: true`. Open, like most scrape endpoints: put it behind your network policy.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
