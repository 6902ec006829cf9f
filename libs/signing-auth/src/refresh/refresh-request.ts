import type { ConnectionEntity } from '../connections/connection.entity.js';
import type { DecryptedConnection } from '../connections/connection-cipher.js';
import type { RefreshTrigger } from '../events/signing-auth.events.js';

/*
 * The request and outcome of one refresh, shared by the refresher, its failure handler and the write-back
 * (in a file of their own so those never import each other for types).
 */

/** What a caller needs from a refresh. @internal */
export interface RefreshRequest {
  tenantId: string;
  provider: string;
  trigger: RefreshTrigger;
  /** True when the stored grant already serves the caller: then the provider is not called. */
  satisfied(row: ConnectionEntity, connection: DecryptedConnection, now: Date): boolean;
  /** When a refresh cannot happen now (backoff, transient failure), hand out a still-valid old token. */
  acceptStale: boolean;
  /** Refresh even while a transient failure's backoff runs (admin "refresh now", the sweep). */
  ignoreBackoff?: boolean;
  /** Try a `needs_reauth` connection again (admin "refresh now" after fixing consent). */
  allowReauth?: boolean;
  /**
   * Called once, when this refresh has no provider call left to make (the provider answered or failed),
   * before its write-back: the sweep hands the provider-call slot to its next row meanwhile. Not called on
   * paths that never call the provider.
   */
  onProviderDone?(): void;
}

/** @internal */
export interface RefreshOutcome {
  row: ConnectionEntity;
  connection: DecryptedConnection;
  refreshed: boolean;
}
