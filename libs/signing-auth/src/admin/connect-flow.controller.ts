import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res, type Type } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthorizationFlowService } from '../authorization/authorization-flow.service.js';
import { oauthRedirectUri } from '../providers/built-in-strategies.js';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { AuthorizationStartDto, ConnectionViewDto } from './admin.dto.js';
import { ProviderIdPipe, TenantIdPipe } from './admin.pipes.js';
import type { AdminApiOptions } from '../signing-auth.options.js';
import { AdminApi, Guarded, SessionAccess } from './admin-routes.decorator.js';
import { adminError } from './openapi-examples.js';
import { bindBrowser, clearBindingCookies, requestCookies, setBindingCookie } from './flow-cookie.js';
import {
  asksForJson,
  callbackParams,
  failureRedirect,
  successRedirect,
  wantsRedirect,
} from './oauth-callback.js';
import { ConnectSessionEvents } from './connect-session-events.js';
import { sessionOf } from './session-access.js';
import { FailureThrottle } from './throttle/failure-throttle.js';
import { AuthorizationStateError } from '../authorization/authorization.errors.js';

/**
 * The connect flow: `POST {prefix}/tenants/:tenantId/connections/:provider/authorize` (guarded) and
 * `GET {prefix}/oauth/:provider/callback`. The callback is NOT behind the admin guard: the provider's
 * redirect carries no admin token; the single-use, expiring state is what protects it. A flow a connect
 * session started comes back to the Connect page (`connect.pageUrl`) with the outcome in the query, whatever
 * redirects are configured for admins (JSON callers still get JSON).
 * @internal
 */
export function createConnectFlowController(prefix: string): Type<unknown> {
  @Controller(prefix)
  @AdminApi()
  class ConnectFlowController {
    constructor(
      private readonly flow: AuthorizationFlowService,
      private readonly sessionEvents: ConnectSessionEvents,
      @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
      private readonly throttle: FailureThrottle,
    ) {}

    @Post('tenants/:tenantId/connections/:provider/authorize')
    @HttpCode(200)
    @Guarded()
    @SessionAccess('write')
    @ApiOperation({
      summary: 'Start the authorization-code flow',
      description:
        "Send the admin's browser to authorizationUrl; the provider redirects back to the callback.",
    })
    @ApiParam({ name: 'tenantId', example: 'acme' })
    @ApiParam({ name: 'provider', example: 'docusign' })
    @ApiQuery({
      name: 'bindBrowser',
      required: false,
      enum: ['true', 'false'],
      description:
        'Bind the flow to this browser with an HttpOnly cookie (default: true for same-origin browser requests, ' +
        'e.g. the Connect page; false for API clients)',
    })
    @ApiOkResponse({ type: AuthorizationStartDto })
    @ApiNotFoundResponse(adminError(404, 'No such connection'))
    @ApiConflictResponse(adminError(409, 'The connection does not use the code grant'))
    async authorize(
      @Param('tenantId', TenantIdPipe) tenantId: string,
      @Param('provider', ProviderIdPipe) provider: string,
      @Req() request: Request,
      @Res({ passthrough: true }) response: Response,
    ): Promise<{ authorizationUrl: string; expiresAt: string }> {
      const started = await this.flow.start(tenantId, provider, {
        bindToBrowser: bindBrowser(request),
        connectSessionId: sessionOf(request)?.id,
      });
      if (started.browserBinding) {
        setBindingCookie(response, started.browserBinding, oauthRedirectUri(this.options, provider));
      }
      return { authorizationUrl: started.authorizationUrl, expiresAt: started.expiresAt };
    }

    @Get('oauth/:provider/callback')
    @ApiOperation({
      summary: "The provider's redirect back (not guarded: the single-use state protects it)",
      description:
        'JSON (200 with the connection) unless the request does not send Accept: application/json and either ' +
        'a connect session started the flow (302 to the Connect page, connect.pageUrl) or ' +
        'admin.successRedirectUrl/failureRedirectUrl are configured (302 to those URLs).',
    })
    @ApiParam({ name: 'provider', example: 'docusign' })
    @ApiQuery({ name: 'code', required: false })
    @ApiQuery({ name: 'state', required: false })
    @ApiQuery({ name: 'error', required: false })
    @ApiQuery({ name: 'error_description', required: false })
    @ApiOkResponse({ type: ConnectionViewDto })
    @ApiFoundResponse({
      description:
        'Redirect to the Connect page (session-started flows) or the configured success or failure URL',
    })
    @ApiConflictResponse(adminError(409, 'The state was already used'))
    async callback(
      @Param('provider', ProviderIdPipe) provider: string,
      @Query() query: Record<string, unknown>,
      @Req() request: Request,
      @Res() response: Response,
    ): Promise<void> {
      // Unguarded, so guessing states is limited per address: a flood of made-up callbacks gets 429.
      await this.throttle.assertAllowed('callback', request);
      const params = callbackParams(query);
      const cookies = requestCookies(request);
      // Whatever the outcome, the state is spent (or was never this browser's): the cookie is of no further use.
      // Without an echoed state (Formstack Sign) it is the cookie's own flow; `complete` reports any problem.
      let state = params.state;
      try {
        state = this.flow.callbackState(provider, params, cookies) || undefined;
      } catch {
        // several flows open, or an unknown provider: nothing to clear, and complete() says why
      }
      const sessionId = await this.flow.connectSessionOf(state);
      const redirect = this.redirectTargets(sessionId, request.headers.accept);
      clearBindingCookies(response, state, oauthRedirectUri(this.options, provider));
      try {
        const view = await this.flow.complete(provider, params, { cookies });
        if (sessionId) this.sessionEvents.authorizedWith(sessionId, view);
        if (redirect) response.redirect(302, successRedirect(redirect, view));
        else response.status(200).json(view);
      } catch (error) {
        // A state that is not a live flow's (made up, replayed, another browser's, none): misuse, counted.
        if (error instanceof AuthorizationStateError) await this.throttle.recordFailure('callback', request);
        if (!redirect) throw error; // the scoped filter answers JSON
        response.redirect(302, failureRedirect(redirect, provider, error));
      }
    }

    /**
     * Where a browser goes after the callback: a session's flow back to the Connect page (which then posts
     * to its opener or links to the session's returnUrl), an admin's to the configured URLs, if any.
     */
    private redirectTargets(
      sessionId: string | undefined,
      accept: string | undefined,
    ): AdminApiOptions | undefined {
      if (sessionId) {
        if (asksForJson(accept)) return undefined;
        const page = this.options.connect.pageUrl;
        return { successRedirectUrl: page, failureRedirectUrl: page };
      }
      return wantsRedirect(this.options.admin, accept) ? this.options.admin : undefined;
    }
  }
  return ConnectFlowController;
}
