/**
 * A connection's `config` or `secrets` failed validation. Names the field and why; the admin API turns it
 * into a 400.
 * @publicApi
 */
export class ConnectionValidationError extends Error {
  override readonly name = 'ConnectionValidationError';

  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** No connection exists for this tenant and provider. @publicApi */
export class ConnectionNotFoundError extends Error {
  override readonly name = 'ConnectionNotFoundError';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
  ) {
    super(`No ${provider} connection for tenant "${tenantId}"`);
  }
}

/** The provider id is not one the module knows (built-in or passed in `strategies`). @publicApi */
export class UnknownProviderError extends Error {
  override readonly name = 'UnknownProviderError';

  constructor(
    readonly provider: string,
    known: readonly string[],
  ) {
    super(`Unknown provider "${provider}"; known providers: ${known.join(', ')}`);
  }
}
