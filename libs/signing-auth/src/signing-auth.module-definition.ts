import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SigningAuthModuleExtras, SigningAuthModuleOptions } from './signing-auth.options.js';

export const DEFAULT_EXTRAS: Required<Omit<SigningAuthModuleExtras, 'dataSourceName'>> &
  Pick<SigningAuthModuleExtras, 'dataSourceName'> = {
  isGlobal: true,
  adminApi: false,
  connectPage: false,
  routePrefix: 'signing-auth',
  dataSourceName: undefined,
};

/** @internal */
export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: SIGNING_AUTH_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SigningAuthModuleOptions>({ moduleName: 'SigningAuth' })
  .setClassMethodName('forRoot')
  .setExtras<SigningAuthModuleExtras>(DEFAULT_EXTRAS, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal ?? true,
  }))
  .build();
