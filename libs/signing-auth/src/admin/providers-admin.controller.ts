import { Controller, Get, Req, type Type } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import type { ConnectionSchema } from '../providers/shared/connection-schema.js';
import { AdminApi, Guarded, SessionAccess } from './admin-routes.decorator.js';
import { sessionOf } from './session-access.js';

/** A provider as `GET /providers` lists it: the schema when its strategy describes one. @internal */
export type ProviderDescription = Pick<ConnectionSchema, 'provider' | 'title'> & Partial<ConnectionSchema>;

/**
 * `GET {prefix}/providers`: every provider the module knows, with the JSON Schema of its `config` and
 * `secrets` (labels, help, required fields, choices, secret fields) — the same description the PUT validates
 * with. The Connect page builds its forms from it; a script can too. Guarded: it also tells a client
 * whether its admin token is accepted. A connect session may read it (the page in tenant mode builds its
 * forms from it; it holds no tenant data) and sees only its own providers.
 * @internal
 */
export function createProvidersAdminController(prefix: string): Type<unknown> {
  @Controller(prefix)
  @AdminApi()
  @Guarded()
  class ProvidersAdminController {
    constructor(private readonly strategies: StrategyRegistry) {}

    @Get('providers')
    @SessionAccess('read')
    @ApiOperation({
      summary: 'The providers and the fields of their connections (JSON Schema)',
      description:
        'For each provider: `config` and `secrets` as JSON Schema (`title`, `description`, `enum`, `required`, ' +
        "`writeOnly` for secrets, `x-requiredWhen` for fields required by another field's value) and a working " +
        '`example` body. Custom strategies without a description list only `provider` and `title`. ' +
        "A connect session sees only the session's providers.",
    })
    @ApiOkResponse({ description: 'One entry per provider' })
    list(@Req() request: Request): ProviderDescription[] {
      const session = sessionOf(request);
      const ids = session
        ? this.strategies.ids.filter((id) => session.providers.includes(id))
        : this.strategies.ids;
      return ids.map((id) => {
        const schema = this.strategies.get(id).describeConnection?.();
        return schema ? { ...schema, provider: id } : { provider: id, title: id };
      });
    }
  }
  return ProvidersAdminController;
}
