import type { Type } from '@nestjs/common';

type CreateAdminControllers = (prefix: string, parts: { connectPage: boolean }) => Type<unknown>[];

/**
 * The admin controllers carry `@nestjs/swagger` decorators (their OpenAPI description), so loading them
 * needs that package. It is an optional peer: an app without the admin API should not have to install
 * swagger-ui. The controllers are therefore loaded here, once, when the package is imported, and only
 * `adminApi: true` requires them to be there. @internal
 */
const loaded: { create?: CreateAdminControllers; missing?: string } =
  await import('./admin/admin-controllers.js').then(
    (module) => ({ create: module.createAdminControllers }),
    (error: unknown) => {
      const missing = missingPackage(error);
      if (!missing) throw error;
      return { missing };
    },
  );

export class AdminApiUnavailableError extends Error {
  override readonly name = 'AdminApiUnavailableError';
}

/**
 * Every admin controller under `prefix` (and the Connect page's, with `connectPage`); a clear error when
 * `@nestjs/swagger` is not installed. @internal
 */
export function createAdminControllers(prefix: string, parts = { connectPage: false }): Type<unknown>[] {
  if (!loaded.create) {
    throw new AdminApiUnavailableError(
      `SigningAuthModule: adminApi: true needs the optional peer ${loaded.missing}, which is not installed ` +
        `(the admin routes are described for OpenAPI with it). Install it (npm install @nestjs/swagger) or ` +
        'leave adminApi off; the rest of the library works without it.',
    );
  }
  return loaded.create(prefix, parts);
}

function missingPackage(error: unknown): string | undefined {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  return /['"](@nestjs\/swagger)['"/]/.exec(message ?? '')?.[1] ?? undefined;
}
