import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS, type ResolvedOptions } from '../common/resolved-options.js';
import type { FieldProblem } from '../connections/connection.errors.js';
import { assertTenantId } from '../connections/connections.service.js';
import { SigningAuthEventBus } from '../events/event-bus.js';
import { SigningAuthEvent } from '../events/signing-auth.events.js';
import { StrategyRegistry } from '../providers/strategy-registry.js';
import { ConnectSessionOptionsError } from './connect-session.errors.js';
import { originOf } from './connect-session-options.js';
import { ConnectSessionRepository, type ConnectSessionRow } from './connect-session.repository.js';
import { hashSessionToken, isSessionTokenShape, newSessionToken } from './connect-session-token.js';

/** Lifetime bounds of a session, in seconds: 1 minute … 24 hours; 30 minutes by default. */
export const CONNECT_SESSION_LIFETIME = { min: 60, max: 86_400, default: 1_800 } as const;

/** What {@link ConnectSessionsService.create} takes. @publicApi */
export interface ConnectSessionCreateOptions {
  /** The providers the session may touch. Default: every provider the module knows. */
  providers?: string[];
  /** Lifetime: 60 … 86400 seconds. Default: 1800 (30 minutes). */
  expiresInSeconds?: number;
  /** Where the Connect page sends the customer back; its origin must be in `connect.returnUrlOrigins`. */
  returnUrl?: string;
  /** Whether the session may delete the tenant's connections. Default: `false`. */
  allowDelete?: boolean;
}

/** A new session. `token` is shown here once and stored only as its SHA-256. @publicApi */
export interface CreatedConnectSession {
  /** `sa_cs_` + 43 base64url characters (256 random bits): send it as `Authorization: Bearer <token>`. */
  token: string;
  /** The Connect page with the token in the URL fragment: `{pageUrl}#session=<token>`. */
  connectUrl: string;
  /** ISO 8601, from the database clock. */
  expiresAt: string;
  tenantId: string;
  /** The providers the session may touch (every provider the module knows when none were named). */
  providers: string[];
}

/** An open session, as a bearer token resolves to it. Never holds the token. @publicApi */
export interface ConnectSession {
  id: string;
  tenantId: string;
  /** The providers the session may touch (every provider the module knows when none were named). */
  providers: string[];
  expiresAt: string;
  returnUrl: string | null;
  allowDelete: boolean;
}

/** A token → its open session, or why it is not one (`unknown` also for a malformed token). @publicApi */
export type ConnectSessionResolution =
  { ok: true; session: ConnectSession } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' };

/**
 * Connect sessions: short-lived bearer tokens that let a tenant's own administrator connect that tenant's
 * provider accounts (through the Connect page or the admin routes a session may use), without an admin
 * token ever reaching a browser. Sessions live in the database (any replica accepts one another created),
 * are judged on the database clock, and are cleaned up an hour after they expire (on each create and revoke).
 * @publicApi
 */
@Injectable()
export class ConnectSessionsService {
  constructor(
    private readonly repository: ConnectSessionRepository,
    private readonly strategies: StrategyRegistry,
    private readonly events: SigningAuthEventBus,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /**
   * Creates a session for `tenantId`.
   * @throws ConnectSessionOptionsError naming `tenantId`, `providers`, `expiresInSeconds`, `returnUrl` or
   *   `allowDelete` (every problem at once)
   */
  async create(tenantId: string, options: ConnectSessionCreateOptions = {}): Promise<CreatedConnectSession> {
    try {
      assertTenantId(tenantId);
    } catch {
      throw new ConnectSessionOptionsError([{ field: 'tenantId', message: 'must be a valid tenant id' }]);
    }
    const checked = this.check(options ?? {});
    const token = newSessionToken();
    await this.repository.purgeExpired();
    const row = await this.repository.insert({
      tokenHash: hashSessionToken(token),
      tenantId,
      providers: checked.providers,
      returnUrl: checked.returnUrl,
      allowDelete: checked.allowDelete,
      lifetimeSeconds: checked.lifetimeSeconds,
    });
    const session = this.toSession(row);
    this.events.emit(SigningAuthEvent.ConnectSessionCreated, {
      sessionId: session.id,
      tenantId,
      providers: session.providers,
      expiresAt: session.expiresAt,
      allowDelete: session.allowDelete,
    });
    return {
      token,
      connectUrl: `${this.options.connect.pageUrl}#session=${token}`,
      expiresAt: session.expiresAt,
      tenantId,
      providers: session.providers,
    };
  }

  /** Revokes every open session of the tenant at once (their tokens answer 401 from now on); returns how many. */
  async revokeAll(tenantId: string): Promise<number> {
    try {
      assertTenantId(tenantId);
    } catch {
      throw new ConnectSessionOptionsError([{ field: 'tenantId', message: 'must be a valid tenant id' }]);
    }
    const revoked = await this.repository.revokeOpen(tenantId);
    await this.repository.purgeExpired();
    this.events.emit(SigningAuthEvent.ConnectSessionsRevoked, { tenantId, revoked });
    return revoked;
  }

  /** The open session of a bearer token, or why there is none. A malformed token costs no database query. */
  async resolve(token: string): Promise<ConnectSessionResolution> {
    if (typeof token !== 'string' || !isSessionTokenShape(token)) return { ok: false, reason: 'unknown' };
    const found = await this.repository.lookup(hashSessionToken(token));
    return found.ok ? { ok: true, session: this.toSession(found.row) } : found;
  }

  private check(options: ConnectSessionCreateOptions): {
    providers: string[] | null;
    lifetimeSeconds: number;
    returnUrl: string | null;
    allowDelete: boolean;
  } {
    const problems: FieldProblem[] = [];
    const providers = this.checkProviders(options.providers, problems);
    const lifetime = options.expiresInSeconds ?? CONNECT_SESSION_LIFETIME.default;
    if (
      typeof lifetime !== 'number' ||
      !Number.isInteger(lifetime) ||
      lifetime < CONNECT_SESSION_LIFETIME.min ||
      lifetime > CONNECT_SESSION_LIFETIME.max
    ) {
      problems.push({
        field: 'expiresInSeconds',
        message: `must be a whole number of seconds from ${CONNECT_SESSION_LIFETIME.min} to ${CONNECT_SESSION_LIFETIME.max}`,
      });
    }
    const returnUrl = this.checkReturnUrl(options.returnUrl, problems);
    if (options.allowDelete !== undefined && typeof options.allowDelete !== 'boolean') {
      problems.push({ field: 'allowDelete', message: 'must be true or false' });
    }
    if (problems.length > 0) throw new ConnectSessionOptionsError(problems);
    return { providers, lifetimeSeconds: lifetime, returnUrl, allowDelete: options.allowDelete === true };
  }

  private checkProviders(given: unknown, problems: FieldProblem[]): string[] | null {
    if (given === undefined) return null;
    const known = this.strategies.ids;
    const message = `must be a non-empty list of provider ids, each one of: ${known.join(', ')}`;
    if (!Array.isArray(given) || given.length === 0 || given.length > 100) {
      problems.push({ field: 'providers', message });
      return null;
    }
    if (!given.every((id) => typeof id === 'string' && this.strategies.has(id))) {
      problems.push({ field: 'providers', message });
      return null;
    }
    return [...new Set(given as string[])];
  }

  private checkReturnUrl(given: unknown, problems: FieldProblem[]): string | null {
    if (given === undefined) return null;
    const allowed = this.options.connect.returnUrlOrigins;
    const origin = originOf(given);
    if (!origin) {
      problems.push({
        field: 'returnUrl',
        message: 'must be an absolute http(s) URL of at most 2048 characters',
      });
    } else if (!allowed.includes(origin)) {
      problems.push({
        field: 'returnUrl',
        message:
          allowed.length === 0
            ? 'is not accepted: no origin is listed in the connect.returnUrlOrigins option'
            : `must be on one of the origins listed in connect.returnUrlOrigins: ${allowed.join(', ')}`,
      });
    }
    return origin ? (given as string) : null;
  }

  private toSession(row: ConnectSessionRow): ConnectSession {
    return {
      id: row.id,
      tenantId: row.tenantId,
      providers: row.providers ?? this.strategies.ids,
      expiresAt: row.expiresAt.toISOString(),
      returnUrl: row.returnUrl,
      allowDelete: row.allowDelete,
    };
  }
}
