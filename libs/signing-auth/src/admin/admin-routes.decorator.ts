import { applyDecorators, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AdminErrorDto } from './admin.dto.js';
import { AdminExceptionFilter } from './admin-exception.filter.js';
import { SigningAuthAdminGuard } from './admin.guard.js';
import { JsonContentTypeInterceptor } from './json-content-type.interceptor.js';

/** Shared by every admin controller: error format, OpenAPI tag and common error responses. @internal */
export function AdminApi(): ClassDecorator {
  return applyDecorators(
    UseFilters(AdminExceptionFilter),
    UseInterceptors(JsonContentTypeInterceptor),
    ApiTags('signing-auth admin'),
    ApiBadRequestResponse({ type: AdminErrorDto, description: 'Bad input: the message names the field' }),
  );
}

/** Behind the admin guard (every admin route except the OAuth callback). @internal */
export function Guarded(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    UseGuards(SigningAuthAdminGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ type: AdminErrorDto, description: 'No or bad admin credentials' }),
  );
}
