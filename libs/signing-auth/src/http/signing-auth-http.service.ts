import { HttpService } from '@nestjs/axios';

/**
 * Nest's `HttpService`, on an axios instance of the library's own (`HttpModule.register()`), whose requests
 * carry a tenant's provider credentials when they ask for them:
 *
 * ```ts
 * constructor(private readonly http: SigningAuthHttpService) {}
 * this.http.get('/envelopes', { signingAuth: { tenantId, provider: 'docusign', docusignAccountBase: true } })
 * ```
 *
 * A class of its own rather than the `HttpService` token, so a host app's `HttpModule` (and the
 * process-wide axios default) never gets the library's interceptor, and injecting it says which client
 * signs. Requests without `signingAuth` go out untouched.
 * @publicApi
 */
export class SigningAuthHttpService extends HttpService {}
