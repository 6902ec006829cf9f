import { applyDecorators, SetMetadata, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtension,
  ApiForbiddenResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminExceptionFilter } from './admin-exception.filter.js';
import { SigningAuthAdminGuard } from './admin.guard.js';
import { adminError } from './openapi-examples.js';
import { JsonContentTypeInterceptor } from './json-content-type.interceptor.js';
import { SESSION_ACCESS, type SessionAccessLevel } from './session-access.js';
import { NoStoreInterceptor } from './no-store.js';

/** Shared by every admin controller: error format, OpenAPI tag and common error responses. @internal */
export function AdminApi(): ClassDecorator {
  return applyDecorators(
    UseFilters(AdminExceptionFilter),
    UseInterceptors(NoStoreInterceptor, JsonContentTypeInterceptor),
    ApiTags('signing-auth admin'),
    ApiBadRequestResponse(adminError(400, 'Bad input: `errors` lists every problem, each naming the field')),
  );
}

/** Behind the admin guard (every admin route except the OAuth callback). @internal */
export function Guarded(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    UseGuards(SigningAuthAdminGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse(
      adminError(
        401,
        'No or bad credentials: an unknown admin token, or an expired or revoked connect session',
      ),
    ),
  );
}

/**
 * Lets a connect session token use this route, at `level` (see {@link SessionAccessLevel}); without it a
 * route is admin-only. The guard also holds the session to the route's `:tenantId` and `:provider`.
 * OpenAPI shows the level as `x-connect-session` and documents the 403.
 * @internal
 */
export function SessionAccess(level: SessionAccessLevel): MethodDecorator {
  return applyDecorators(
    SetMetadata(SESSION_ACCESS, level),
    ApiExtension('x-connect-session', level),
    ApiForbiddenResponse(
      adminError(
        403,
        level === 'delete'
          ? "A connect session of another tenant, outside the session's providers, or without allowDelete"
          : "A connect session of another tenant, or outside the session's providers",
      ),
    ),
  );
}

/** Admin only, said in OpenAPI: a connect session token gets 403 here. @internal */
export function AdminOnly(): ClassDecorator & MethodDecorator {
  return applyDecorators(ApiForbiddenResponse(adminError(403, 'A connect session token (admin only)')));
}
