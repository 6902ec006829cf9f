import { hasFixedRefreshTokenEnd } from '../refresh/reauthorization-forecast.js';
import { REFUSED_GRANT_KEY } from '../refresh/refused-grant.js';
import type { ConnectionStatus } from './connection-status.js';
import type { ConnectionEntity } from './connection.entity.js';

/**
 * What the library shows of a connection: never a secret, a token or a ciphertext.
 * @publicApi
 */
export interface ConnectionView {
  tenantId: string;
  provider: string;
  status: ConnectionStatus;
  grantType: string;
  scopes: string[];
  /** Non-secret settings. */
  config: Record<string, unknown>;
  accessTokenExpiresAt: string | null;
  refreshTokenExpiresAt: string | null;
  /**
   * Set when the refresh token has a fixed end whatever the library does (DocuSign without `extended`):
   * a user must authorize again before this time. `null` otherwise.
   */
  reauthorizeBy: string | null;
  lastRefreshedAt: string | null;
  nextRefreshAt: string | null;
  failureCount: number;
  lastError: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/**
 * `consentUrl`: the row's consent link opened by `ConnectionCipher.consentUrlOf` (the row holds it sealed);
 * without it the view shows none, so a ciphertext never reaches a view.
 */
export function toConnectionView(row: ConnectionEntity, consentUrl?: string): ConnectionView {
  const { consentUrl: _sealed, ...metadata } = row.metadata ?? {};
  return {
    tenantId: row.tenantId,
    provider: row.provider,
    status: row.status,
    grantType: row.grantType,
    scopes: row.scopes ?? [],
    config: row.config ?? {},
    accessTokenExpiresAt: iso(row.accessTokenExpiresAt),
    refreshTokenExpiresAt: iso(row.refreshTokenExpiresAt),
    reauthorizeBy: hasFixedRefreshTokenEnd(row) ? iso(row.refreshTokenExpiresAt) : null,
    lastRefreshedAt: iso(row.lastRefreshedAt),
    nextRefreshAt: iso(row.nextRefreshAt),
    failureCount: row.failureCount,
    lastError: row.lastError,
    metadata: consentUrl ? { ...publicMetadata(metadata), consentUrl } : publicMetadata(metadata),
    createdAt: iso(row.createdAt) as string,
    updatedAt: iso(row.updatedAt) as string,
  };
}

function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** The row's metadata without the library's internal bookkeeping. @internal */
export function publicMetadata(
  metadata: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  if (!metadata) return {};
  if (!(REFUSED_GRANT_KEY in metadata)) return metadata;
  const { [REFUSED_GRANT_KEY]: _internal, ...rest } = metadata;
  return rest;
}
