import type { SigningAuthStrategy } from '../providers/strategy.interface.js';

/**
 * `metadata.unverified: true` marks a connection whose credentials the provider has never accepted: the
 * save-time check could not reach it (`verifyOnSave`, provider unreachable). Such a connection is stored as
 * `error` and retried like any failure, but the retry re-runs the strategy's `verify` instead of `refresh`.
 * Why: for a provider whose refresh is a local step (DocSpring's "token" is the Basic pair; a custom
 * strategy with static credentials) a refresh always succeeds, so a made-up token would turn `active`
 * without the provider ever saying yes. The marker is dropped by the write-back that stores the provider's
 * accepted grant (refresh-lease.repository.ts) and by every new save.
 * @internal
 */
export const UNVERIFIED_MARKER = 'unverified';

/** Whether this row's next provider call must be the verification rather than a refresh. @internal */
export function awaitsVerification(
  metadata: Record<string, unknown> | null | undefined,
  strategy: SigningAuthStrategy,
): boolean {
  return metadata?.[UNVERIFIED_MARKER] === true && typeof strategy.verify === 'function';
}
