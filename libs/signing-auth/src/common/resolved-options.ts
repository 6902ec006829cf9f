import type {
  AdminApiOptions,
  ProviderHostOverrides,
  SigningAuthHttpOptions,
  SigningAuthModuleOptions,
  SigningAuthObserver,
  SigningAuthRateLimitOptions,
} from '../signing-auth.options.js';
import type { SigningAuthStrategy } from '../providers/strategy.interface.js';
import type { EncryptionKey } from '../crypto/keyring.js';
import { validateFrameAncestors } from '../connect-page/connect-page-headers.js';
import {
  assertNoSessionPrefix,
  resolveConnectOptions,
  type ResolvedConnectOptions,
} from '../connect-sessions/connect-session-options.js';

/** The options with every default applied. Internal: the public shape is `SigningAuthModuleOptions`. */
export interface ResolvedOptions {
  encryptionKeys: EncryptionKey[] | string;
  activeKeyId?: string;
  requireKeysForStoredValues: boolean;
  publicUrl: string;
  routePrefix: string;
  adminApi: boolean;
  hosts: ProviderHostOverrides;
  consentLinkTtlSeconds: number;
  verifyOnSave: boolean;
  providerSettings: { docusign: { refreshTokenLifetimeDays: number; jwtLifetimeSeconds: number } };
  strategies: SigningAuthStrategy[];
  refresh: {
    leewaySeconds: number;
    leewayFraction: number;
    leaseSeconds: number;
    providerTimeoutMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    refreshTokenRenewFraction: number;
    reauthorizationNoticeDays: number;
  };
  sweep: {
    enabled: boolean;
    cron: string;
    batchSize: number;
    concurrency: number;
    activeWindowSeconds: number;
  };
  tokenCacheSize: number;
  admin: AdminApiOptions;
  connectPage: boolean;
  connect: ResolvedConnectOptions & { frameAncestors: string[] };
  observer?: SigningAuthObserver;
  metrics: boolean;
  clock: () => Date;
  http: SigningAuthHttpOptions & {
    allowedHosts: Record<string, string[]>;
    allowLoopbackHttp: boolean;
    timeoutMs: number;
    maxResponseBytes: number;
    rateLimit: Required<SigningAuthRateLimitOptions>;
  };
  developmentMode: boolean;
  allowPrivateNetworks: boolean;
}

/** Injection token of {@link ResolvedOptions}. @internal */
export const RESOLVED_OPTIONS = Symbol('SIGNING_AUTH_RESOLVED_OPTIONS');

export function resolveOptions(
  options: SigningAuthModuleOptions,
  extras: { routePrefix: string; adminApi: boolean; connectPage?: boolean },
): ResolvedOptions {
  const refresh = {
    leewaySeconds: 300,
    leewayFraction: 0.1,
    leaseSeconds: 30,
    providerTimeoutMs: 10_000,
    backoffBaseMs: 30_000,
    backoffMaxMs: 3_600_000,
    refreshTokenRenewFraction: 1 / 3,
    reauthorizationNoticeDays: 7,
    ...stripUndefined(options.refresh ?? {}),
  };
  const margin = leaseMarginMs(refresh);
  if (!(refresh.providerTimeoutMs > 0) || refresh.leaseSeconds * 1000 - refresh.providerTimeoutMs < margin) {
    throw new Error(
      `signing-auth: refresh.providerTimeoutMs (${refresh.providerTimeoutMs}) must be positive and leave at ` +
        `least ${margin} ms of refresh.leaseSeconds (${refresh.leaseSeconds} s) free: the lease must outlast a ` +
        'provider call plus its write-back, or a slow call could outlive its lease and the next holder would send ' +
        `the same refresh token again. Lower providerTimeoutMs to at most ${refresh.leaseSeconds * 1000 - margin} ` +
        'or raise leaseSeconds.',
    );
  }
  if (!(refresh.leewayFraction > 0 && refresh.leewayFraction < 1)) {
    throw new Error('signing-auth: refresh.leewayFraction must be between 0 and 1 (exclusive).');
  }
  if (!(refresh.reauthorizationNoticeDays >= 0)) {
    throw new Error('signing-auth: refresh.reauthorizationNoticeDays must be a number of days, 0 or more.');
  }
  if (!(refresh.refreshTokenRenewFraction > 0 && refresh.refreshTokenRenewFraction < 1)) {
    throw new Error('signing-auth: refresh.refreshTokenRenewFraction must be between 0 and 1 (exclusive).');
  }
  const publicUrl = (options.publicUrl ?? 'http://localhost:3000').replace(/\/+$/, '');
  const routePrefix = normalizePrefix(extras.routePrefix);
  const connectPage = extras.connectPage ?? false;
  const connect = {
    ...resolveConnectOptions(options.connect, publicUrl, routePrefix),
    frameAncestors: validateFrameAncestors(options.connect?.frameAncestors),
  };
  const admin = withConnectPageRedirects(options.admin ?? {}, connectPage, connect.pageUrl);
  const developmentMode = options.developmentMode ?? process.env.NODE_ENV !== 'production';
  if (extras.adminApi && !admin.guard && !(admin.tokens && admin.tokens.filter(Boolean).length > 0)) {
    throw new Error(
      'signing-auth: the admin API is on (adminApi: true) but nothing guards it. Pass admin.tokens ' +
        '(bearer tokens) or admin.guard (your own CanActivate class) to SigningAuthModule.forRoot().',
    );
  }
  assertNoSessionPrefix(admin.tokens);
  if (extras.adminApi && !developmentMode) assertLongAdminTokens(admin.tokens ?? []);
  return {
    encryptionKeys: options.encryptionKeys,
    activeKeyId: options.activeKeyId,
    requireKeysForStoredValues: options.requireKeysForStoredValues ?? false,
    publicUrl,
    routePrefix,
    adminApi: extras.adminApi,
    hosts: stripTrailingSlashes(options.hosts ?? {}),
    verifyOnSave: options.verifyOnSave ?? true,
    consentLinkTtlSeconds: positive('consentLinkTtlSeconds', options.consentLinkTtlSeconds, 604_800),
    providerSettings: resolveProviderSettings(options),
    strategies: options.strategies ?? [],
    refresh,
    sweep: {
      enabled: true,
      cron: '0 * * * * *',
      batchSize: 50,
      concurrency: 5,
      activeWindowSeconds: 86_400,
      ...stripUndefined(options.sweep ?? {}),
    },
    tokenCacheSize: options.tokenCacheSize ?? 10_000,
    admin,
    connectPage,
    connect,
    observer: options.observer,
    metrics: options.metrics ?? false,
    clock: options.clock ?? (() => new Date()),
    http: {
      tenantResolver: options.http?.tenantResolver,
      allowedHosts: options.http?.allowedHosts ?? {},
      allowLoopbackHttp: options.http?.allowLoopbackHttp ?? developmentMode,
      timeoutMs: wholeNumber('http.timeoutMs', options.http?.timeoutMs, DEFAULT_HTTP_TIMEOUT_MS, 0),
      maxResponseBytes: wholeNumber(
        'http.maxResponseBytes',
        options.http?.maxResponseBytes,
        DEFAULT_MAX_RESPONSE_BYTES,
        1,
      ),
      rateLimit: resolveRateLimit(options.http?.rateLimit ?? {}),
    },
    developmentMode,
    allowPrivateNetworks: options.allowPrivateNetworks ?? false,
  };
}

/** Shorter admin tokens are refused outside development mode: a bearer token is guessed, not cracked. */
const MIN_ADMIN_TOKEN_LENGTH = 32;

function assertLongAdminTokens(tokens: readonly string[]): void {
  const short = tokens.filter((token) => token.length > 0 && token.length < MIN_ADMIN_TOKEN_LENGTH);
  if (short.length === 0) return;
  // Neither the token nor its position is named: a log line must not narrow a guess.
  throw new Error(
    `signing-auth: ${short.length === 1 ? 'an admin token is' : `${short.length} admin tokens are`} shorter than ` +
      `${MIN_ADMIN_TOKEN_LENGTH} characters (admin.tokens / SIGNING_AUTH_ADMIN_TOKENS); outside development mode ` +
      'every admin token must be at least 32 random characters. Make one with ' +
      `\`node -p "require('crypto').randomBytes(32).toString('base64url')"\` ` +
      '(or `openssl rand -base64 32`).',
  );
}

/**
 * With the Connect page on and no redirect configured, the OAuth callback sends the operator's browser back
 * to the page (`connect.pageUrl`, by default `{publicUrl}/{prefix}/connect/`), which shows the outcome;
 * configured URLs win. (Flows started with a connect session always go back to the page or its returnUrl.)
 */
function withConnectPageRedirects(
  admin: AdminApiOptions,
  connectPage: boolean,
  pageUrl: string,
): AdminApiOptions {
  if (!connectPage || admin.successRedirectUrl || admin.failureRedirectUrl) return admin;
  return { ...admin, successRedirectUrl: pageUrl, failureRedirectUrl: pageUrl };
}

/**
 * The part of a lease a provider call may not use: time to send the request after the lease check, write the
 * result back, and absorb a short pause. 2 s, or a fifth of the lease when that is more.
 */
export function leaseMarginMs(refresh: { leaseSeconds: number }): number {
  return Math.max(2_000, (refresh.leaseSeconds * 1000) / 5);
}

/**
 * Signed calls download documents (PDFs of many pages), so the caps are generous; they exist so that a
 * tenant's own API server (generic `oauth2`) cannot hang the host or fill its memory.
 */
const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024;

function resolveRateLimit(given: SigningAuthRateLimitOptions): Required<SigningAuthRateLimitOptions> {
  const whenSpent = given.whenSpent ?? 'fail';
  if (whenSpent !== 'fail' && whenSpent !== 'wait') {
    throw new Error(
      `signing-auth: http.rateLimit.whenSpent must be 'fail' or 'wait' (got ${String(whenSpent)}).`,
    );
  }
  const lowFraction = given.lowFraction ?? 0.1;
  if (typeof lowFraction !== 'number' || !(lowFraction >= 0 && lowFraction < 1)) {
    throw new Error(
      `signing-auth: http.rateLimit.lowFraction must be at least 0 and below 1 (got ${String(lowFraction)}).`,
    );
  }
  return {
    enabled: given.enabled ?? true,
    whenSpent,
    maxWaitMs: wholeNumber('http.rateLimit.maxWaitMs', given.maxWaitMs, 60_000, 0),
    maxWaiting: wholeNumber('http.rateLimit.maxWaiting', given.maxWaiting, 100, 0),
    lowFraction,
    maxTracked: wholeNumber('http.rateLimit.maxTracked', given.maxTracked, 10_000, 1),
  };
}

/** A whole-number option of at least `min`, or its default; anything else fails at bootstrap naming it. */
function wholeNumber(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new Error(
      `signing-auth: ${name} must be a whole number of at least ${min} (got ${String(value)}).`,
    );
  }
  return value;
}

/** A positive number option, or its default; anything else fails at bootstrap naming the option. */
function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`signing-auth: ${name} must be a positive number (got ${String(value)}).`);
  }
  return value;
}

/** `/signing-auth/` → `signing-auth`. */
export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Drops empty values and trailing slashes, one level deep (the per-environment maps). */
function stripTrailingSlashes(hosts: ProviderHostOverrides): ProviderHostOverrides {
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') return value.length > 0 ? value.replace(/\/+$/, '') : undefined;
    if (!value || typeof value !== 'object') return undefined;
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => [k, clean(v)] as const)
      .filter(([, v]) => typeof v === 'string');
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  };
  return Object.fromEntries(
    Object.entries(hosts)
      .map(([k, v]) => [k, clean(v)] as const)
      .filter(([, v]) => v !== undefined),
  ) as ProviderHostOverrides;
}

function resolveProviderSettings(options: SigningAuthModuleOptions): ResolvedOptions['providerSettings'] {
  const docusign = {
    refreshTokenLifetimeDays: 30,
    jwtLifetimeSeconds: 3600,
    ...stripUndefined(options.providerSettings?.docusign ?? {}),
  };
  if (!(docusign.refreshTokenLifetimeDays > 0)) {
    throw new Error(
      'signing-auth: providerSettings.docusign.refreshTokenLifetimeDays must be a positive number.',
    );
  }
  if (!(docusign.jwtLifetimeSeconds >= 60 && docusign.jwtLifetimeSeconds <= 3600)) {
    throw new Error(
      'signing-auth: providerSettings.docusign.jwtLifetimeSeconds must be between 60 and 3600 (DocuSign accepts at most one hour).',
    );
  }
  return { docusign };
}
