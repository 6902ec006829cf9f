import { HttpModule } from '@nestjs/axios';
import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createAdminControllers } from './admin-api.loader.js';
import { normalizePrefix, resolveOptions } from './common/resolved-options.js';
import { SIGNING_AUTH_ENTITIES } from './connections/entities.js';
import { Keyring } from './crypto/keyring.js';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  DEFAULT_EXTRAS,
  OPTIONS_TYPE,
} from './signing-auth.module-definition.js';
import { createCoreProviders, EXPORTED_PROVIDERS } from './signing-auth.providers.js';
import type { SigningAuthModuleExtras } from './signing-auth.options.js';

/**
 * Always-valid, per-tenant credentials for e-signature providers.
 *
 * ```ts
 * SigningAuthModule.forRoot({ encryptionKeys: process.env.SIGNING_AUTH_ENCRYPTION_KEYS! })
 * ```
 * The host app owns `TypeOrmModule.forRoot()` (with the library's migrations) and, for the refresh
 * sweep, `ScheduleModule.forRoot()`; the library never calls them.
 * @publicApi
 */
@Module({})
export class SigningAuthModule extends ConfigurableModuleClass {
  static override forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    // Synchronous options are checked right here, so a bad key fails before Nest builds anything.
    // With forRootAsync the same checks run in the options factory, still before the app listens.
    const resolved = resolveOptions(options, resolveExtras(options));
    new Keyring(resolved.encryptionKeys, resolved.activeKeyId);
    return withCore(super.forRoot(options), options);
  }

  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return withCore(super.forRootAsync(options), options);
  }
}

function resolveExtras(given: SigningAuthModuleExtras) {
  const extras = {
    adminApi: given.adminApi ?? DEFAULT_EXTRAS.adminApi,
    connectPage: given.connectPage ?? DEFAULT_EXTRAS.connectPage,
    routePrefix: given.routePrefix ?? DEFAULT_EXTRAS.routePrefix,
    dataSourceName: given.dataSourceName,
  };
  if (extras.connectPage && !extras.adminApi) {
    throw new Error(
      'SigningAuthModule: connectPage: true needs adminApi: true (the Connect page is a client of the admin ' +
        'API, guarded by admin.tokens or admin.guard). Set adminApi: true as well, or leave connectPage off.',
    );
  }
  return extras;
}

function withCore(definition: DynamicModule, given: SigningAuthModuleExtras): DynamicModule {
  const extras = resolveExtras(given);
  return {
    ...definition,
    imports: [
      ...(definition.imports ?? []),
      TypeOrmModule.forFeature(SIGNING_AUTH_ENTITIES, extras.dataSourceName),
      // The library's own axios instance: its interceptor never reaches the host's HttpModule or axios' default.
      HttpModule.register({}),
    ],
    // The admin controllers exist only with `adminApi: true`; their path prefix is fixed here, at build time.
    controllers: extras.adminApi
      ? createAdminControllers(normalizePrefix(extras.routePrefix), { connectPage: extras.connectPage })
      : [],
    providers: [...(definition.providers ?? []), ...createCoreProviders(extras)],
    exports: [...(definition.exports ?? []), ...EXPORTED_PROVIDERS],
  };
}
