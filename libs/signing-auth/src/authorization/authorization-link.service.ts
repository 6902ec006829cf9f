import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import { SecretCipher } from '../crypto/secret-cipher.js';
import { oauthRedirectUri } from '../providers/built-in-strategies.js';
import { pkceChallengeS256, randomUrlSafe } from '../providers/shared/pkce.js';
import type { SigningAuthStrategy, StrategyConnection } from '../providers/strategy.interface.js';
import {
  PendingAuthorizationRepository,
  type PendingAuthorizationKind,
} from './pending-authorization.repository.js';

/** How long a connect flow started by an admin may wait for its callback. */
const AUTHORIZATION_TTL_MS = 10 * 60_000;
/** The field name binding a PKCE verifier's ciphertext to its (tenant, provider). @internal */
export const VERIFIER_FIELD = 'code_verifier';

/**
 * Issues provider links that come back to our callback: a fresh state (256 bits, stored only as its
 * SHA-256) and PKCE verifier (stored encrypted), single use. The connect flow's links live 10 minutes;
 * consent links handed out with a `consent_required` failure live `consentLinkTtlSeconds` (an admin opens
 * them when they get to it; the state is then the only thing tying DocuSign's redirect to the tenant).
 * @internal
 */
@Injectable()
export class AuthorizationLinkService {
  constructor(
    private readonly pending: PendingAuthorizationRepository,
    private readonly cipher: SecretCipher,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /** Stores a pending authorization of `kind` and returns the provider URL carrying its state. */
  async issue(
    kind: PendingAuthorizationKind,
    connection: StrategyConnection,
    strategy: SigningAuthStrategy,
  ): Promise<{ authorizationUrl: string; expiresAt: Date }> {
    if (!strategy.buildAuthorizationUrl) {
      throw new Error(`the ${strategy.id} strategy cannot build an authorization URL`);
    }
    const { tenantId, provider } = connection;
    const now = this.options.clock();
    const state = randomUrlSafe(32);
    const verifier = randomUrlSafe(32);
    const redirectUri = oauthRedirectUri(this.options, provider);
    const ttlMs = kind === 'consent' ? this.options.consentLinkTtlSeconds * 1000 : AUTHORIZATION_TTL_MS;
    const expiresAt = new Date(now.getTime() + ttlMs);
    await this.pending.purge(now);
    await this.pending.insert({
      stateHash: hashState(state),
      tenantId,
      provider,
      kind,
      codeVerifierCiphertext: this.cipher.encrypt(verifier, { tenantId, provider, field: VERIFIER_FIELD }),
      redirectUri,
      expiresAt,
      now,
    });
    const authorizationUrl = strategy.buildAuthorizationUrl(connection, {
      redirectUri,
      state,
      codeChallenge: pkceChallengeS256(verifier),
    });
    return { authorizationUrl, expiresAt };
  }
}

/** Only the SHA-256 of a state is stored: a database reader cannot complete someone else's flow. @internal */
export function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}
