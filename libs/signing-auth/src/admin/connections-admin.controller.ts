import { Body, Controller, Delete, Get, HttpCode, Param, Put, Req, type Type } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ConnectionValidationError } from '../connections/connection.errors.js';
import { ConnectionsService } from '../connections/connections.service.js';
import type { ConnectionView } from '../connections/connection-view.js';
import { ConnectionViewDto, UpsertConnectionBody } from './admin.dto.js';
import { adminError } from './openapi-examples.js';
import { CONNECTION_BODY_MODELS, connectionBodyExamples, connectionBodySchema } from './openapi-models.js';
import { bodyPipe, ProviderIdPipe, TenantIdPipe } from './admin.pipes.js';
import { AdminApi, Guarded, SessionAccess } from './admin-routes.decorator.js';
import { ConnectSessionEvents } from './connect-session-events.js';
import { sessionOf } from './session-access.js';

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
    constructor(
      private readonly connections: ConnectionsService,
      private readonly sessionEvents: ConnectSessionEvents,
    ) {}

    @Put(':provider')
    @SessionAccess('write')
    @ApiOperation({ summary: "Create or replace a tenant's connection (drops any grant it held)" })
    @ApiParam({ name: 'provider', example: 'docusign' })
    @ApiBody({
      description:
        "`config` and `secrets` of the path's provider (GET /providers describes each field). Pick an example per provider.",
      schema: connectionBodySchema(),
      examples: connectionBodyExamples(),
    })
    @ApiOkResponse({ type: ConnectionViewDto })
    async upsert(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Param('provider', ProviderIdPipe) provider: string,
      @Body(bodyPipe(UpsertConnectionBody)) body: UpsertConnectionBody,
      @Req() request: Request,
    ): Promise<ConnectionView> {
      if (body.provider !== undefined && body.provider !== provider) {
        throw new ConnectionValidationError('provider', `must be "${provider}", the provider of the path`);
      }
      const view = await this.connections.upsert(tenantId, provider, {
        config: body.config,
        secrets: body.secrets,
      });
      this.sessionEvents.savedWith(sessionOf(request), view);
      return view;
    }

    @Get()
    @SessionAccess('read')
    @ApiOperation({
      summary: "List a tenant's connections",
      description: "With a connect session that names providers: only those providers' connections.",
    })
    @ApiOkResponse({ type: [ConnectionViewDto] })
    async list(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Req() request: Request,
    ): Promise<ConnectionView[]> {
      const views = await this.connections.list(tenantId);
      const session = sessionOf(request);
      return session ? views.filter((view) => session.providers.includes(view.provider)) : views;
    }

    @Get(':provider')
    @SessionAccess('read')
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
    @SessionAccess('delete')
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
