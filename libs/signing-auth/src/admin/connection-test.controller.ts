import { Controller, HttpCode, Param, Post, type Type } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ConnectionsService } from '../connections/connections.service.js';
import type { ConnectionTestResult } from '../verification/connection-tester.js';
import { ConnectionTestDto } from './admin.dto.js';
import { ProviderIdPipe, TenantIdPipe } from './admin.pipes.js';
import { AdminApi, Guarded, SessionAccess } from './admin-routes.decorator.js';
import { adminError } from './openapi-examples.js';

/** `POST {prefix}/tenants/:tenantId/connections/:provider/test`. @internal */
export function createConnectionTestController(prefix: string): Type<unknown> {
  @Controller(`${prefix}/tenants/:tenantId/connections`)
  @AdminApi()
  @Guarded()
  class ConnectionTestController {
    constructor(private readonly connections: ConnectionsService) {}

    @Post(':provider/test')
    @HttpCode(200)
    // Integration of the two branches: a connect session may test its own tenant's connections (decision 022).
    @SessionAccess('write')
    @ApiOperation({
      summary: 'Test the connection: one cheap authenticated call to the provider',
      description:
        'DocuSign: userinfo; DocSpring: GET /api/v1/authentication; Signicat, Formstack Sign, OAuth 2.0 ' +
        'client credentials: a token request (the token is discarded); refresh-token grants without a ' +
        'cheaper call: a refresh. Always 200 with `ok` saying whether the provider accepted the ' +
        'credentials; the stored grant changes only when the provider says it is gone (needs_reauth).',
    })
    @ApiParam({ name: 'tenantId', example: 'acme' })
    @ApiParam({ name: 'provider', example: 'docspring' })
    @ApiOkResponse({ type: ConnectionTestDto })
    @ApiNotFoundResponse(adminError(404, 'No such connection'))
    test(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Param('provider', ProviderIdPipe) provider: string,
    ): Promise<ConnectionTestResult> {
      return this.connections.testConnection(tenantId, provider);
    }
  }
  return ConnectionTestController;
}
