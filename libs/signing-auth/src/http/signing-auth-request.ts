/**
 * What a request puts in its axios config to be sent with a provider's credentials.
 * @publicApi
 */
export interface SigningAuthRequestOptions {
  /**
   * The tenant whose connection authorizes the call. Default: the module's `http.tenantResolver`; without
   * either the request fails before it leaves the process.
   */
  tenantId?: string;
  /** Provider id of the connection: `docusign`, `formstack-sign`, `signicat`, `docspring`, `oauth2` or a custom one. */
  provider: string;
  /**
   * DocuSign only: resolve a relative `url` against the connection's account base,
   * `{baseUri}/restapi/v2.1/accounts/{accountId}` (both recorded from userinfo when the tenant connected),
   * so `get('/envelopes')` reaches the tenant's account host. An absolute `url` is left alone.
   * Default: `false`.
   */
  docusignAccountBase?: boolean;
}

declare module 'axios' {
  // Merged into axios' own interface so `{ signingAuth }` type-checks in every HttpService / axios call.
  // The type parameters must repeat axios' declaration exactly.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars, @typescript-eslint/no-explicit-any
  interface AxiosRequestConfig<D = any, P = any> {
    /** Send this request with the tenant's provider credentials (signing-auth). */
    signingAuth?: SigningAuthRequestOptions;
  }
}
