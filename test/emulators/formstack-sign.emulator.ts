/**
 * Formstack Sign (InsureSign) auth server, per providers.md §2: `/oauth2/authorize` and `/oauth2/token` with
 * Basic auth *and* `client_id` in the body, a non-rotating refresh, client credentials, and Cognito-style errors
 * (an inference in providers.md). Two listeners: `url` (sign-auth.insuresign.io) and `legacyUrl`
 * (auth.insuresign.io, credentials issued before 2021-01-15). Every other path on either listener is a small REST
 * surface that only checks the bearer (the real API host, api-v2.insuresign.io, is unconfirmed).
 */
import {
  field,
  json,
  oauthError,
  parseBasicAuth,
  parseBearer,
  redirect,
  safeEqual,
  splitScopes,
  withQuery,
} from './common.js';
import type { EmulatorReply, EmulatorRequest } from './common.js';
import { Emulator, type BaseStats, type EmulatorOptions } from './emulator.js';
import { AuthCodeStore, GrantStore, type Grant } from './oauth-store.js';

export type FormstackGrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

export interface FormstackSignEmulatorOptions extends EmulatorOptions {
  /** Default 3 600 (every documented example). */
  accessTokenTtlSeconds?: number;
  /** Absolute refresh-token lifetime (undocumented; Cognito's default is 30 days). Default 30 days. */
  refreshTokenTtlSeconds?: number;
  /** Default 300 (Cognito's code lifetime). */
  codeTtlSeconds?: number;
  /**
   * Whether `state` is echoed on the callback. Undocumented for Formstack (providers.md §2.2), so tests can
   * switch it off to exercise the library's fallback. Default true.
   */
  echoState?: boolean;
  /**
   * true: legacy clients work only on `legacyUrl` and the others only on `url` (wrong host → invalid_client).
   * Default false: both listeners accept every client (the library overrides both hosts with one URL).
   */
  strictHosts?: boolean;
  clients?: FormstackClient[];
}

export interface FormstackClient {
  clientId: string;
  secret: string;
  redirectUris?: string[];
  /** Issued before 2021-01-15: belongs to the legacy host. */
  legacy?: boolean;
  /** Grants this client may use. Default all three. */
  grants?: FormstackGrantType[];
}

export interface FormstackSignStats extends BaseStats {
  /** By `grant_type` as sent (`(none)` when missing). */
  tokenRequests: Record<string, number>;
  apiRequests: number;
}

export class FormstackSignEmulator extends Emulator<FormstackSignStats> {
  readonly stats: FormstackSignStats = {
    requests: 0,
    injectedFailures: 0,
    tokenRequests: {},
    apiRequests: 0,
  };
  private readonly clients = new Map<string, FormstackClient>();
  private readonly codes = new AuthCodeStore(() => this.now());
  private readonly grants = new GrantStore(() => this.now(), 'fs_');

  private echoState: boolean;

  constructor(private readonly options: FormstackSignEmulatorOptions = {}) {
    super(options);
    this.echoState = options.echoState !== false;
  }

  /** The legacy auth host (auth.insuresign.io stand-in). */
  get legacyUrl(): string {
    return this.urlOf('legacy');
  }

  registerClient(client: FormstackClient): void {
    this.clients.set(client.clientId, client);
  }

  /** Whether the next authorization redirects echo `state` (codes and errors alike); see `echoState`. */
  setEchoState(echo: boolean): void {
    this.echoState = echo;
  }

  isAccessTokenValid(token: string): boolean {
    return this.grants.lookupAccess(token) !== undefined;
  }

  /** Revokes the grant behind an access or refresh token; the refresh token then gets `invalid_grant`. */
  revokeToken(token: string): boolean {
    return this.grants.revokeByToken(token);
  }

  protected override listenerNames(): string[] {
    return ['main', 'legacy'];
  }

  protected override resetState(): void {
    this.codes.clear();
    this.grants.clear();
    Object.assign(this.stats, { tokenRequests: {}, apiRequests: 0 });
  }

  protected handle(req: EmulatorRequest): EmulatorReply {
    if (req.method === 'GET' && req.path === '/oauth2/authorize') return this.authorize(req);
    if (req.method === 'POST' && req.path === '/oauth2/token') return this.token(req);
    this.stats.apiRequests++;
    if (!this.grants.lookupAccess(parseBearer(req.headers.authorization))) {
      return json(401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    return json(200, { ok: true, method: req.method, path: req.path });
  }

  private clientOnThisHost(
    client: FormstackClient | undefined,
    req: EmulatorRequest,
  ): FormstackClient | undefined {
    if (!client) return undefined;
    if (this.options.strictHosts && (req.listener === 'legacy') !== (client.legacy ?? false))
      return undefined;
    return client;
  }

  private authorize(req: EmulatorRequest): EmulatorReply {
    const q = req.query;
    const client = this.clientOnThisHost(this.clients.get(q.client_id ?? ''), req);
    if (!client) return oauthError('invalid_request', 'invalid client_id');
    if (!q.redirect_uri || !(client.redirectUris ?? []).includes(q.redirect_uri)) {
      return oauthError('invalid_request', 'redirect_mismatch');
    }
    const state = this.echoState ? q.state : undefined;
    if (q.response_type !== 'code')
      return redirect(withQuery(q.redirect_uri, { error: 'unsupported_response_type', state }));
    if (!(client.grants ?? ['authorization_code']).includes('authorization_code')) {
      return redirect(withQuery(q.redirect_uri, { error: 'unauthorized_client', state }));
    }
    const code = this.codes.issue({
      clientId: client.clientId,
      redirectUri: q.redirect_uri,
      scopes: splitScopes(q.scope),
      expiresAt: this.now() + (this.options.codeTtlSeconds ?? 300) * 1000,
    });
    return redirect(withQuery(q.redirect_uri, { code, state }));
  }

  private token(req: EmulatorRequest): EmulatorReply {
    const grantType = field(req.body, 'grant_type');
    const key = grantType ?? '(none)';
    this.stats.tokenRequests[key] = (this.stats.tokenRequests[key] ?? 0) + 1;
    // Basic header AND client_id in the body, and they must agree (providers.md §2.3).
    const basic = parseBasicAuth(req.headers.authorization);
    const client = this.clientOnThisHost(this.clients.get(basic?.username ?? ''), req);
    if (!basic || !client || !safeEqual(basic.password, client.secret)) return oauthError('invalid_client');
    const bodyClientId = field(req.body, 'client_id');
    if (bodyClientId === undefined) return oauthError('invalid_request', 'client_id is required');
    if (bodyClientId !== client.clientId) return oauthError('invalid_client');
    if (
      grantType !== 'authorization_code' &&
      grantType !== 'refresh_token' &&
      grantType !== 'client_credentials'
    ) {
      return oauthError('unsupported_grant_type');
    }
    if (!(client.grants ?? [grantType]).includes(grantType)) return oauthError('unauthorized_client');
    const ttl = this.options.accessTokenTtlSeconds ?? 3600;
    const issue = (grant: Grant): Record<string, unknown> => ({
      access_token: this.grants.issueAccess(grant, ttl).token,
      expires_in: ttl,
      token_type: 'Bearer',
    });

    if (grantType === 'client_credentials') {
      return json(200, issue(this.grants.createGrant({ clientId: client.clientId, scopes: [] })));
    }
    if (grantType === 'refresh_token') {
      // Cognito-style: the refresh token is not rotated and no new one is returned.
      const result = this.grants.useRefresh(field(req.body, 'refresh_token'), client.clientId, false);
      return result.ok ? json(200, issue(result.grant)) : oauthError('invalid_grant');
    }
    const result = this.codes.consume(field(req.body, 'code'));
    if (!result.ok || result.record.clientId !== client.clientId) return oauthError('invalid_grant');
    // Unlike DocuSign, the exchange must repeat the authorize call's redirect_uri exactly.
    if (field(req.body, 'redirect_uri') !== result.record.redirectUri)
      return oauthError('invalid_grant', 'redirect_mismatch');
    const refreshExpiresAt = this.now() + (this.options.refreshTokenTtlSeconds ?? 30 * 86_400) * 1000;
    const grant = this.grants.createGrant({
      clientId: client.clientId,
      scopes: result.record.scopes,
      refreshExpiresAt,
    });
    const body = issue(grant);
    return json(200, {
      access_token: body.access_token,
      refresh_token: this.grants.issueRefresh(grant, refreshExpiresAt),
      expires_in: ttl,
      token_type: 'Bearer',
    });
  }
}

/** Starts a Formstack Sign emulator (main + legacy listeners) on 127.0.0.1. Remember `await emu.close()`. */
export async function startFormstackSignEmulator(
  options: FormstackSignEmulatorOptions = {},
): Promise<FormstackSignEmulator> {
  const emu = await new FormstackSignEmulator(options).listen();
  for (const c of options.clients ?? []) emu.registerClient(c);
  return emu;
}
