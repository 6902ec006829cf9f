import { HttpService } from '@nestjs/axios';
import type { Provider } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../common/resolved-options.js';
import { RateLimitBudgets } from '../rate-limits/rate-limit-budgets.js';
import { TokenService } from '../tokens/token.service.js';
import { createSignedCallNetworkPolicy, SIGNED_CALL_NETWORK_POLICY } from './signed-call-network.js';
import { HTTP_TOKEN_SOURCE, type HttpTokenSource } from './http-token-source.js';
import { SigningAuthHttpInterceptor } from './signing-auth-http.interceptor.js';
import { SigningAuthHttpService } from './signing-auth-http.service.js';

/**
 * Outgoing calls. `HttpService` here is the one of the library's own `HttpModule.register()` import (a
 * module's own imports are searched before global modules, so a host's global HttpModule never stands in);
 * it is not exported, only {@link SigningAuthHttpService} on the same axios instance is.
 * @internal
 */
export const HTTP_PROVIDERS: Provider[] = [
  {
    provide: SigningAuthHttpService,
    useFactory: (http: HttpService) => new SigningAuthHttpService(http.axiosRef),
    inject: [HttpService],
  },
  {
    provide: HTTP_TOKEN_SOURCE,
    useFactory: (tokens: TokenService): HttpTokenSource => ({
      getAccessToken: (tenantId, provider) => tokens.signingToken(tenantId, provider),
      cachedToken: (tenantId, provider) => tokens.cachedSigningToken(tenantId, provider),
      forceRefresh: (tenantId, provider, options) => tokens.forceSigningRefresh(tenantId, provider, options),
    }),
    inject: [TokenService],
  },
  {
    provide: SIGNED_CALL_NETWORK_POLICY,
    useFactory: createSignedCallNetworkPolicy,
    inject: [RESOLVED_OPTIONS],
  },
  RateLimitBudgets,
  SigningAuthHttpInterceptor,
];
