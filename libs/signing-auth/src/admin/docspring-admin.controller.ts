import { Body, Controller, Param, Post, type Type } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import {
  DocSpringDataRequestService,
  type DocSpringDataRequestToken,
} from '../docspring/docspring-data-request.service.js';
import { DataRequestTokenBody, DataRequestTokenDto } from './admin.dto.js';
import { bodyPipe, DataRequestIdPipe, TenantIdPipe } from './admin.pipes.js';
import { AdminApi, AdminOnly, Guarded } from './admin-routes.decorator.js';
import { adminError } from './openapi-examples.js';

/** `POST {prefix}/tenants/:tenantId/docspring/data-requests/:dataRequestId/tokens`. @internal */
export function createDocSpringAdminController(prefix: string): Type<unknown> {
  @Controller(`${prefix}/tenants/:tenantId/docspring/data-requests`)
  @AdminApi()
  @Guarded()
  @AdminOnly()
  class DocSpringAdminController {
    constructor(private readonly dataRequests: DocSpringDataRequestService) {}

    @Post(':dataRequestId/tokens')
    @ApiOperation({ summary: "Create a DocSpring data-request token with the tenant's DocSpring connection" })
    @ApiParam({ name: 'tenantId', example: 'acme' })
    @ApiParam({ name: 'dataRequestId', example: 'drq_0123456789' })
    @ApiCreatedResponse({ type: DataRequestTokenDto })
    @ApiNotFoundResponse(adminError(404, 'No DocSpring connection, or no such data request'))
    @ApiBadGatewayResponse(adminError(502, 'DocSpring failed or refused the credentials'))
    createToken(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Param('dataRequestId', DataRequestIdPipe) dataRequestId: string,
      @Body(bodyPipe(DataRequestTokenBody, { optional: true })) body: DataRequestTokenBody,
    ): Promise<DocSpringDataRequestToken> {
      return this.dataRequests.createToken(tenantId, dataRequestId, { type: body.type ?? 'api' });
    }
  }
  return DocSpringAdminController;
}
