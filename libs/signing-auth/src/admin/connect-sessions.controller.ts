import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  Param,
  Post,
  Req,
  type Type,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import type { Request } from 'express';
import {
  ConnectSessionsService,
  type CreatedConnectSession,
} from '../connect-sessions/connect-sessions.service.js';
import { AdminApi, AdminOnly, Guarded, SessionAccess } from './admin-routes.decorator.js';
import {
  ConnectSessionDto,
  CreateConnectSessionBody,
  CreatedConnectSessionDto,
} from './connect-session.dto.js';
import { bodyPipe, TenantIdPipe } from './admin.pipes.js';
import { sessionOf } from './session-access.js';

/** The answer of `GET …/connect-session`. @internal */
export interface ConnectSessionDescription {
  tenantId: string;
  providers: string[];
  expiresAt: string;
  returnOrigin?: string;
  returnUrl?: string;
  allowDelete: boolean;
}

/**
 * `POST|DELETE {prefix}/tenants/:tenantId/connect-sessions` (admin only) and `GET {prefix}/connect-session`
 * (a session describing itself: the Connect page learns its tenant, providers and return origin from it).
 * @internal
 */
export function createConnectSessionsController(prefix: string): Type<unknown> {
  @Controller(prefix)
  @AdminApi()
  @Guarded()
  class ConnectSessionsController {
    constructor(private readonly sessions: ConnectSessionsService) {}

    @Post('tenants/:tenantId/connect-sessions')
    @AdminOnly()
    @ApiOperation({
      summary: 'Create a connect session: a link for a tenant to connect its own accounts',
      description:
        'The token is shown once (stored as its SHA-256). Hand `connectUrl` to the tenant; the token works on ' +
        "this tenant's routes marked x-connect-session until it expires or is revoked.",
    })
    @ApiParam({ name: 'tenantId', example: 'acme' })
    @ApiCreatedResponse({ type: CreatedConnectSessionDto })
    create(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Body(bodyPipe(CreateConnectSessionBody, { optional: true })) body: CreateConnectSessionBody,
    ): Promise<CreatedConnectSession> {
      return this.sessions.create(tenantId, {
        providers: body.providers,
        expiresInSeconds: body.expiresInSeconds,
        returnUrl: body.returnUrl,
        allowDelete: body.allowDelete,
      });
    }

    @Delete('tenants/:tenantId/connect-sessions')
    @HttpCode(204)
    @AdminOnly()
    @ApiOperation({ summary: 'Revoke every open connect session of the tenant (their tokens answer 401)' })
    @ApiParam({ name: 'tenantId', example: 'acme' })
    @ApiNoContentResponse({ description: 'Revoked (also when there was none)' })
    async revoke(@Param('tenantId', TenantIdPipe) tenantId: string): Promise<void> {
      await this.sessions.revokeAll(tenantId);
    }

    @Get('connect-session')
    @SessionAccess('read')
    @ApiOperation({
      summary: 'The connect session of the bearer token',
      description:
        'For the Connect page: which tenant and providers it may act on, until when, and where to return.',
    })
    @ApiOkResponse({ type: ConnectSessionDto })
    describe(@Req() request: Request): ConnectSessionDescription {
      const session = sessionOf(request);
      if (!session) {
        throw new ForbiddenException(
          'This route describes a connect session: send its token (Authorization: Bearer sa_cs_…), not an admin token',
        );
      }
      const description: ConnectSessionDescription = {
        tenantId: session.tenantId,
        providers: session.providers,
        expiresAt: session.expiresAt,
        allowDelete: session.allowDelete,
      };
      if (session.returnUrl) {
        description.returnOrigin = new URL(session.returnUrl).origin;
        description.returnUrl = session.returnUrl;
      }
      return description;
    }
  }
  return ConnectSessionsController;
}
