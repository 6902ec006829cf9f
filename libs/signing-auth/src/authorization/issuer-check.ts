import type { SigningAuthStrategy, StrategyConnection } from '../providers/strategy.interface.js';
import type { AuthorizationStateFailure } from './authorization.errors.js';

/**
 * RFC 9207 on a callback whose state was ours: why its `iss` is refused, or `undefined`.
 * - The strategy names the issuer (generic oauth2: `config.issuer`): `iss` must be exactly it (§2.4,
 *   simple string comparison), and must be there: naming the issuer is how an admin says the server sends it.
 * - It names none: an `iss` that arrives anyway must have the origin of the authorization endpoint the flow
 *   was sent to (a server that names itself elsewhere is not the one we asked); none at all is fine.
 * @internal
 */
export function issuerRefusal(
  strategy: SigningAuthStrategy,
  connection: StrategyConnection,
  iss: string | undefined,
): Extract<AuthorizationStateFailure, 'wrong_issuer' | 'missing_issuer'> | undefined {
  const expected = strategy.authorizationIssuer?.(connection);
  if (expected) {
    if (iss === undefined || iss === '') return 'missing_issuer';
    return iss === expected ? undefined : 'wrong_issuer';
  }
  if (iss === undefined) return undefined;
  const endpoint = authorizationEndpointOrigin(strategy, connection);
  // A strategy whose endpoint cannot be learnt (a custom URL builder that checks its inputs) names no
  // issuer to compare with: RFC 9207 asks a client to check only what it knows, so nothing is refused.
  if (endpoint === undefined) return undefined;
  return originOf(iss) === endpoint ? undefined : 'wrong_issuer';
}

function authorizationEndpointOrigin(
  strategy: SigningAuthStrategy,
  connection: StrategyConnection,
): string | undefined {
  try {
    const url = strategy.buildAuthorizationUrl?.(connection, {
      redirectUri: 'https://redirect.invalid/',
      state: 'issuer-check',
      codeChallenge: 'issuer-check',
    });
    return url ? originOf(url) : undefined;
  } catch {
    return undefined;
  }
}

function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
