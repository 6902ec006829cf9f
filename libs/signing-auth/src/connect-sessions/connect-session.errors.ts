import type { FieldProblem } from '../connections/connection.errors.js';

/**
 * Bad options for a connect session (`tenantId`, `providers`, `expiresInSeconds`, `returnUrl`,
 * `allowDelete`): every problem, each naming the field and why, never the value. The admin API answers 400.
 * @publicApi
 */
export class ConnectSessionOptionsError extends Error {
  override readonly name = 'ConnectSessionOptionsError';

  constructor(readonly problems: readonly FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }
}
