import type { SigningAuthSweepReport } from '../refresh/sweep-report.js';

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
  /** A row this app cannot work on (key id not in the keyring, unreadable data, strategy removed). */
  ConnectionUnprocessable: 'connection.unprocessable',
  /** One sweep pass (the in-process cron, or `SigningAuthSweeper.runOnce()`) ended; payload: its report. */
  SweepCompleted: 'sweep.completed',
  /** A fixed-end refresh token (DocuSign without `extended`) lapses soon: a user must consent again. */
  ReauthorizationDue: 'connection.reauthorization_due',
  /** A connect session was created (`ConnectSessionsService.create`, `POST …/connect-sessions`). */
  ConnectSessionCreated: 'connect_session.created',
  /** A tenant's open connect sessions were revoked. */
  ConnectSessionsRevoked: 'connect_session.revoked',
  /** A connection was made with a connect session: saved credentials became active, or an OAuth flow it started completed. */
  ConnectSessionConnected: 'connect_session.connected',
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
  /** `unprocessable`: the stored row cannot be used by this app (see {@link ConnectionUnprocessableEvent}). */
  kind: 'transient' | 'needs_reauth' | 'unprocessable';
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

/** Payload of `sweep.completed`: the pass's report. @publicApi */
export type SweepCompletedEvent = SigningAuthSweepReport;

/** @publicApi */
export interface ConnectionConnectedEvent {
  tenantId: string;
  provider: string;
}

/**
 * A connection row cannot be processed by this app: marked `error`, retried with backoff, counted by the
 * health indicator as `unprocessable`. Fix the configuration (add the key back as a decryption key, restore
 * the custom strategy) or replace the connection.
 * @publicApi
 */
export interface ConnectionUnprocessableEvent {
  tenantId: string;
  provider: string;
  reason: 'unknown_key' | 'authentication_failed' | 'malformed' | 'unknown_provider';
  /** The key id the unreadable value names, when there is one. */
  keyId: string | null;
  /** What is wrong, in words (no secret). */
  message: string;
  failureCount: number;
  nextRefreshAt: string | null;
}

/** @publicApi */
export interface ReauthorizationDueEvent {
  tenantId: string;
  provider: string;
  /** When the refresh token lapses; the user must authorize again before. */
  reauthorizeBy: string;
  daysLeft: number;
}

/** Payload of `connect_session.created`. Never the token. @publicApi */
export interface ConnectSessionCreatedEvent {
  sessionId: string;
  tenantId: string;
  providers: string[];
  expiresAt: string;
  allowDelete: boolean;
}

/** Payload of `connect_session.revoked`. @publicApi */
export interface ConnectSessionsRevokedEvent {
  tenantId: string;
  /** How many open sessions were revoked (0 when there were none). */
  revoked: number;
}

/** Payload of `connect_session.connected`. @publicApi */
export interface ConnectSessionConnectedEvent {
  sessionId: string;
  tenantId: string;
  provider: string;
  /** The connection's status afterwards (`active`). */
  status: string;
  /** `credentials`: a PUT whose credentials the provider accepted; `authorization`: an OAuth flow's callback. */
  via: 'credentials' | 'authorization';
}
