/** Base of the DocSpring data-request errors. @publicApi */
export abstract class DocSpringDataRequestError extends Error {
  constructor(
    readonly tenantId: string,
    readonly dataRequestId: string,
    /** DocSpring's `error` message (never holds the token secret). */
    readonly providerMessage: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** DocSpring answered 401: the connection's API token id or secret was refused. @publicApi */
export class DocSpringCredentialsError extends DocSpringDataRequestError {
  override readonly name = 'DocSpringCredentialsError';

  constructor(tenantId: string, dataRequestId: string, providerMessage: string | undefined) {
    super(
      tenantId,
      dataRequestId,
      providerMessage,
      `DocSpring refused the API token of tenant "${tenantId}"${providerMessage ? `: ${providerMessage}` : ''}`,
    );
  }
}

/** DocSpring answered 404: no such data request. @publicApi */
export class DocSpringDataRequestNotFoundError extends DocSpringDataRequestError {
  override readonly name = 'DocSpringDataRequestNotFoundError';

  constructor(tenantId: string, dataRequestId: string, providerMessage: string | undefined) {
    super(
      tenantId,
      dataRequestId,
      providerMessage,
      `DocSpring has no data request "${dataRequestId}" for tenant "${tenantId}"`,
    );
  }
}

/** DocSpring answered 422: the token `type` is not `api` or `email`. @publicApi */
export class DocSpringInvalidTokenTypeError extends DocSpringDataRequestError {
  override readonly name = 'DocSpringInvalidTokenTypeError';

  constructor(tenantId: string, dataRequestId: string, providerMessage: string | undefined) {
    super(
      tenantId,
      dataRequestId,
      providerMessage,
      `DocSpring rejected the data-request token type${providerMessage ? `: ${providerMessage}` : ''}`,
    );
  }
}
