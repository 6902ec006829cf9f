import { Body, Controller, Delete, Get, HttpCode, Param, Put, type Type } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { ConnectionsService } from '../connections/connections.service.js';
import type { ConnectionView } from '../connections/connection-view.js';
import { AdminErrorDto, ConnectionViewDto, UpsertConnectionBody } from './admin.dto.js';
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
  class ConnectionsAdminController {
    constructor(private readonly connections: ConnectionsService) {}

    @Put(':provider')
    @ApiOperation({ summary: "Create or replace a tenant's connection (drops any grant it held)" })
    @ApiParam({ name: 'provider', example: 'docusign' })
    @ApiOkResponse({ type: ConnectionViewDto })
    upsert(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Param('provider', ProviderIdPipe) provider: string,
      @Body(bodyPipe(UpsertConnectionBody)) body: UpsertConnectionBody,
    ): Promise<ConnectionView> {
      return this.connections.upsert(tenantId, provider, body);
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
    @ApiNotFoundResponse({ type: AdminErrorDto })
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
    @ApiNotFoundResponse({ type: AdminErrorDto })
    async delete(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Param('provider', ProviderIdPipe) provider: string,
    ): Promise<void> {
      await this.connections.delete(tenantId, provider);
    }
  }
  return ConnectionsAdminController;
}
