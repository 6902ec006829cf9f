/**
 * - `pending`: created, waiting for a user's consent (authorization-code grants).
 * - `active`: holds a usable grant.
 * - `needs_reauth`: the provider said the grant is gone (`invalid_grant`, `consent_required`, refused credentials).
 * - `error`: transient failures; retrying with backoff.
 * - `disabled`: switched off by an admin.
 * @publicApi
 */
export type ConnectionStatus = 'pending' | 'active' | 'needs_reauth' | 'error' | 'disabled';
