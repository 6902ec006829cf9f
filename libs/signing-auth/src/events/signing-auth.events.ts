/**
 * Names of the events the library emits (through `@nestjs/event-emitter` when the host app has
 * `EventEmitterModule.forRoot()`, and to the `observer` option). Payloads never hold a secret.
 * @publicApi
 */
export const SigningAuthEvent = {
  TokenRefreshed: 'token.refreshed',
  TokenRefreshFailed: 'token.refresh_failed',
  ConnectionNeedsReauth: 'connection.needs_reauth',
  ConnectionConnected: 'connection.connected',
  /** A fixed-end refresh token (DocuSign without `extended`) lapses soon: a user must consent again. */
  ReauthorizationDue: 'connection.reauthorization_due',
} as const;

export type SigningAuthEventName = (typeof SigningAuthEvent)[keyof typeof SigningAuthEvent];

/** What triggered a refresh. @publicApi */
export type RefreshTrigger = 'on_demand' | 'sweep' | 'forced' | 'connect';

/** @publicApi */
export interface TokenRefreshedEvent {
  tenantId: string;
  provider: string;
  trigger: RefreshTrigger;
  durationMs: number;
  accessTokenExpiresAt: string | null;
}

/** @publicApi */
export interface TokenRefreshFailedEvent {
  tenantId: string;
  provider: string;
  trigger: RefreshTrigger;
  kind: 'transient' | 'needs_reauth';
  reason: string;
  failureCount: number;
  nextRefreshAt: string | null;
  durationMs: number;
}

/** @publicApi */
export interface ConnectionNeedsReauthEvent {
  tenantId: string;
  provider: string;
  reason: string;
}

/** @publicApi */
export interface ConnectionConnectedEvent {
  tenantId: string;
  provider: string;
}

/** @publicApi */
export interface ReauthorizationDueEvent {
  tenantId: string;
  provider: string;
  /** When the refresh token lapses; the user must authorize again before. */
  reauthorizeBy: string;
  daysLeft: number;
}
