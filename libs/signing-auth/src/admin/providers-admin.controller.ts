import { Controller, Get, type Type } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import type { ConnectionSchema } from '../providers/shared/connection-schema.js';
import { AdminApi, Guarded } from './admin-routes.decorator.js';

/** A provider as `GET /providers` lists it: the schema when its strategy describes one. @internal */
export type ProviderDescription = Pick<ConnectionSchema, 'provider' | 'title'> & Partial<ConnectionSchema>;

/**
 * `GET {prefix}/providers`: every provider the module knows, with the JSON Schema of its `config` and
 * `secrets` (labels, help, required fields, choices, secret fields) — the same description the PUT validates
 * with. The Connect page builds its forms from it; a script can too. Guarded: it also tells a client
 * whether its admin token is accepted.
 * @internal
 */
export function createProvidersAdminController(prefix: string): Type<unknown> {
  @Controller(prefix)
  @AdminApi()
  @Guarded()
  class ProvidersAdminController {
    constructor(private readonly strategies: StrategyRegistry) {}

    @Get('providers')
    @ApiOperation({
      summary: 'The providers and the fields of their connections (JSON Schema)',
      description:
        'For each provider: `config` and `secrets` as JSON Schema (`title`, `description`, `enum`, `required`, ' +
        "`writeOnly` for secrets, `x-requiredWhen` for fields required by another field's value) and a working " +
        '`example` body. Custom strategies without a description list only `provider` and `title`.',
    })
    @ApiOkResponse({ description: 'One entry per provider' })
    list(): ProviderDescription[] {
      return this.strategies.ids.map((id) => {
        const schema = this.strategies.get(id).describeConnection?.();
        return schema ? { ...schema, provider: id } : { provider: id, title: id };
      });
    }
  }
  return ProvidersAdminController;
}
