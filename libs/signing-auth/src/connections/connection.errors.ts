/** One problem with one field of an admin request: the field's path and what to do about it. @publicApi */
export interface FieldProblem {
  /** Dotted path, e.g. `config.integrationKey`, `secrets.secretKey`, `provider`. */
  field: string;
  /** What is wrong and the fix, e.g. `is required`, `must be one of: demo, production`. Never the value. */
  message: string;
}

/**
 * A connection's `config` or `secrets` failed validation. Names the field and why; the admin API turns it
 * into a 400. `problems` lists every problem found (validation does not stop at the first); `field` and
 * `reason` are the first of them, and the message joins them all.
 * @publicApi
 */
export class ConnectionValidationError extends Error {
  override readonly name = 'ConnectionValidationError';
  readonly problems: readonly FieldProblem[];

  constructor(
    readonly field: string,
    readonly reason: string,
    problems?: readonly FieldProblem[],
  ) {
    const all = problems && problems.length > 0 ? problems : [{ field, message: reason }];
    super(all.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.problems = all;
  }

  /** One error holding every problem (at least one). */
  static of(problems: readonly FieldProblem[]): ConnectionValidationError {
    const [first] = problems;
    return new this(first.field, first.message, problems);
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
    readonly known: readonly string[],
  ) {
    super(`Unknown provider "${provider}"; known providers: ${known.join(', ')}`);
  }
}

/**
 * Saving a connection checked its credentials with the provider, and the provider refused them. Nothing
 * new was stored: the previous settings (and their working grant) stay. Carries the provider's error code
 * and reason, never a secret. The admin API turns it into a 422.
 * @publicApi
 */
export class ConnectionVerificationError extends Error {
  override readonly name = 'ConnectionVerificationError';

  constructor(
    readonly tenantId: string,
    readonly provider: string,
    /** The provider's own words (error code and description), redacted. */
    readonly reason: string,
    /** The provider's error code, e.g. `invalid_client`. */
    readonly code?: string,
  ) {
    super(
      // A scope refusal is about the client's settings at the provider, not about the secrets.
      `${provider} refused the ${code === 'invalid_scope' ? 'scopes requested' : 'credentials saved'} ` +
        `for tenant "${tenantId}"; nothing was changed: ${reason}`,
    );
  }
}
