import { Body, Controller, Delete, Get, HttpCode, Param, Put, type Type } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { ConnectionValidationError } from '../connections/connection.errors.js';
import { ConnectionsService } from '../connections/connections.service.js';
import type { ConnectionView } from '../connections/connection-view.js';
import { ConnectionViewDto, UpsertConnectionBody } from './admin.dto.js';
import { adminError } from './openapi-examples.js';
import { CONNECTION_BODY_MODELS, connectionBodyExamples, connectionBodySchema } from './openapi-models.js';
import { bodyPipe, ProviderIdPipe, TenantIdPipe } from './admin.pipes.js';
import { AdminApi, Guarded } from './admin-routes.decorator.js';

/**
 * `PUT|GET|DELETE {prefix}/tenants/:tenantId/connections[/:provider]`. Made per module build because the
 * prefix is a synchronous extra and Nest reads controller paths from class metadata.
 * @internal
 */
export function createConnectionsAdminController(prefix: string): Type<unknown> {
  @Controller(`${prefix}/tenants/:tenantId/connections`)
  @AdminApi()
  @Guarded()
  @ApiParam({ name: 'tenantId', example: 'acme' })
  @ApiExtraModels(...CONNECTION_BODY_MODELS.map(({ model }) => model))
  class ConnectionsAdminController {
    constructor(private readonly connections: ConnectionsService) {}

    @Put(':provider')
    @ApiOperation({ summary: "Create or replace a tenant's connection (drops any grant it held)" })
    @ApiParam({ name: 'provider', example: 'docusign' })
    @ApiBody({
      description:
        "`config` and `secrets` of the path's provider (GET /providers describes each field). Pick an example per provider.",
      schema: connectionBodySchema(),
      examples: connectionBodyExamples(),
    })
    @ApiOkResponse({ type: ConnectionViewDto })
    upsert(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Param('provider', ProviderIdPipe) provider: string,
      @Body(bodyPipe(UpsertConnectionBody)) body: UpsertConnectionBody,
    ): Promise<ConnectionView> {
      if (body.provider !== undefined && body.provider !== provider) {
        throw new ConnectionValidationError('provider', `must be "${provider}", the provider of the path`);
      }
      return this.connections.upsert(tenantId, provider, { config: body.config, secrets: body.secrets });
    }

    @Get()
    @ApiOperation({ summary: "List a tenant's connections" })
    @ApiOkResponse({ type: [ConnectionViewDto] })
    list(@Param('tenantId', TenantIdPipe) tenantId: string): Promise<ConnectionView[]> {
      return this.connections.list(tenantId);
    }

    @Get(':provider')
    @ApiOperation({ summary: 'One connection' })
    @ApiParam({ name: 'provider', example: 'docusign' })
    @ApiOkResponse({ type: ConnectionViewDto })
    @ApiNotFoundResponse(adminError(404, 'No such connection'))
    get(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Param('provider', ProviderIdPipe) provider: string,
    ): Promise<ConnectionView> {
      return this.connections.get(tenantId, provider);
    }

    @Delete(':provider')
    @HttpCode(204)
    @ApiOperation({ summary: 'Delete a connection and every secret it held' })
    @ApiParam({ name: 'provider', example: 'docusign' })
    @ApiNoContentResponse({ description: 'Deleted' })
    @ApiNotFoundResponse(adminError(404, 'No such connection'))
    async delete(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Param('provider', ProviderIdPipe) provider: string,
    ): Promise<void> {
      await this.connections.delete(tenantId, provider);
    }
  }
  return ConnectionsAdminController;
}
