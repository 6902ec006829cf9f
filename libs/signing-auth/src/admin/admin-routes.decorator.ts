import { applyDecorators, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AdminExceptionFilter } from './admin-exception.filter.js';
import { SigningAuthAdminGuard } from './admin.guard.js';
import { adminError } from './openapi-examples.js';
import { JsonContentTypeInterceptor } from './json-content-type.interceptor.js';
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
    ApiUnauthorizedResponse(adminError(401, 'No or bad admin credentials')),
  );
}
