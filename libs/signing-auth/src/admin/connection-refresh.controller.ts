import { Controller, HttpCode, Param, Post, type Type } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import type { ConnectionView } from '../connections/connection-view.js';
import { TokenService } from '../tokens/token.service.js';
import { ConnectionViewDto } from './admin.dto.js';
import { ProviderIdPipe, TenantIdPipe } from './admin.pipes.js';
import { AdminApi, Guarded, SessionAccess } from './admin-routes.decorator.js';
import { adminError } from './openapi-examples.js';

/** `POST {prefix}/tenants/:tenantId/connections/:provider/refresh`. @internal */
export function createConnectionRefreshController(prefix: string): Type<unknown> {
  @Controller(`${prefix}/tenants/:tenantId/connections`)
  @AdminApi()
  @Guarded()
  class ConnectionRefreshController {
    constructor(private readonly tokens: TokenService) {}

    @Post(':provider/refresh')
    @HttpCode(200)
    @SessionAccess('write')
    @ApiOperation({
      summary: 'Refresh now, whatever the token age or backoff (also retries a needs_reauth connection)',
    })
    @ApiParam({ name: 'tenantId', example: 'acme' })
    @ApiParam({ name: 'provider', example: 'docusign' })
    @ApiOkResponse({ type: ConnectionViewDto })
    @ApiNotFoundResponse(adminError(404, 'No such connection'))
    @ApiConflictResponse(adminError(409, 'Pending, disabled, or the grant is gone'))
    @ApiBadGatewayResponse(adminError(502, 'The provider failed'))
    refresh(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Param('provider', ProviderIdPipe) provider: string,
    ): Promise<ConnectionView> {
      return this.tokens.refreshNow(tenantId, provider);
    }
  }
  return ConnectionRefreshController;
}
