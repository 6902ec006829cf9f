/**
 * A plain RFC 6749 authorization server for the generic `oauth2` strategy: `/authorize` (code + PKCE S256),
 * `/token` (authorization_code, refresh_token, client_credentials), RFC 6749 §5.2 error bodies, per-client auth
 * method and refresh-token rotation (with reuse detection, RFC 9700 §4.14.2). A protected resource lives under
 * `/api/*` (`/api/admin/*` needs scope `admin`, RFC 6750 errors) and `/userinfo` returns `{ sub, scope }`.
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
import { AuthCodeStore, GrantStore, pkceProblem, type Grant } from './oauth-store.js';

export type OAuth2ClientAuth = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface OAuth2EmulatorOptions extends EmulatorOptions {
  /** Default 3 600. */
  accessTokenTtlSeconds?: number;
  /** Each refresh token's lifetime from issue (sliding). Default 30 days. */
  refreshTokenTtlSeconds?: number;
  /** Default 120. */
  codeTtlSeconds?: number;
  clients?: OAuth2Client[];
}

export interface OAuth2Client {
  clientId: string;
  /** Required unless `clientAuth` is `none`. */
  secret?: string;
  /** Default `client_secret_basic`. A client must use exactly its method. */
  clientAuth?: OAuth2ClientAuth;
  redirectUris?: string[];
  /** Default true. When true every refresh returns a new refresh token and reuse revokes the grant. */
  rotateRefreshTokens?: boolean;
  /** Reject authorization requests without a PKCE challenge. Default false (always true for `none`). */
  requirePkce?: boolean;
  /** Scopes this client may obtain. Default: any. */
  allowedScopes?: string[];
}

export interface OAuth2Stats extends BaseStats {
  /** By `grant_type` as sent (`(none)` when missing). */
  tokenRequests: Record<string, number>;
  reuseDetections: number;
  apiRequests: number;
}

export class OAuth2Emulator extends Emulator<OAuth2Stats> {
  readonly stats: OAuth2Stats = {
    requests: 0,
    injectedFailures: 0,
    tokenRequests: {},
    reuseDetections: 0,
    apiRequests: 0,
  };
  private readonly clients = new Map<string, OAuth2Client>();
  private readonly codes = new AuthCodeStore(() => this.now());
  private readonly grants = new GrantStore(() => this.now(), 'o2_');
  private approvingUser = 'user-1';
  private denyAll = false;
  private issuer: string | undefined;

  constructor(private readonly options: OAuth2EmulatorOptions = {}) {
    super(options);
  }

  get authorizationUrl(): string {
    return `${this.url}/authorize`;
  }

  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  registerClient(client: OAuth2Client): void {
    this.clients.set(client.clientId, client);
  }

  /** The `sub` the next authorizations are approved as. Default `user-1`. */
  setApprovingUser(sub: string): void {
    this.approvingUser = sub;
  }

  denyAuthorizations(deny = true): void {
    this.denyAll = deny;
  }

  /**
   * RFC 9207: the `iss` this server names in its authorization responses (codes and errors alike);
   * `undefined` (the default) sends none. Another server's issuer plays a mix-up attacker.
   */
  sendIssuer(issuer: string | undefined): void {
    this.issuer = issuer;
  }

  isAccessTokenValid(token: string): boolean {
    return this.grants.lookupAccess(token) !== undefined;
  }

  revokeToken(token: string): boolean {
    return this.grants.revokeByToken(token);
  }

  protected override resetState(): void {
    this.codes.clear();
    this.grants.clear();
    Object.assign(this.stats, { tokenRequests: {}, reuseDetections: 0, apiRequests: 0 });
  }

  protected handle(req: EmulatorRequest): EmulatorReply {
    if (req.method === 'GET' && req.path === '/authorize') return this.authorize(req);
    if (req.method === 'POST' && req.path === '/token') return this.token(req);
    if (req.path === '/userinfo' || req.path.startsWith('/api/')) return this.resource(req);
    return json(404, { error: 'not_found' });
  }

  private authorize(req: EmulatorRequest): EmulatorReply {
    const q = req.query;
    const client = this.clients.get(q.client_id ?? '');
    if (!client) return oauthError('invalid_request', 'unknown client_id');
    const uris = client.redirectUris ?? [];
    // RFC 6749 §3.1.2.3: redirect_uri may be omitted only when exactly one is registered.
    const redirectUri = q.redirect_uri ?? (uris.length === 1 ? uris[0] : undefined);
    if (!redirectUri || !uris.includes(redirectUri))
      return oauthError('invalid_request', 'redirect_uri mismatch');
    const back = (params: Record<string, string | undefined>): EmulatorReply =>
      redirect(withQuery(redirectUri, { ...params, state: q.state, iss: this.issuer }));
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type' });
    const scopes = splitScopes(q.scope);
    if (client.allowedScopes && scopes.some((s) => !client.allowedScopes?.includes(s)))
      return back({ error: 'invalid_scope' });
    if (q.code_challenge !== undefined && q.code_challenge_method !== 'S256') {
      return back({
        error: 'invalid_request',
        error_description: 'only code_challenge_method=S256 is supported',
      });
    }
    if (q.code_challenge === undefined && (client.requirePkce || client.clientAuth === 'none')) {
      return back({ error: 'invalid_request', error_description: 'code_challenge required' });
    }
    if (this.denyAll) return back({ error: 'access_denied' });
    const code = this.codes.issue({
      clientId: client.clientId,
      userId: this.approvingUser,
      // Remember whether redirect_uri was sent: only then must the exchange repeat it (RFC 6749 §4.1.3).
      redirectUri: q.redirect_uri ?? '',
      scopes,
      codeChallenge: q.code_challenge,
      expiresAt: this.now() + (this.options.codeTtlSeconds ?? 120) * 1000,
    });
    return back({ code });
  }

  /** RFC 6749 §2.3: exactly the client's registered method; a 401 `invalid_client` otherwise. */
  private authenticate(req: EmulatorRequest): OAuth2Client | EmulatorReply {
    const basic = parseBasicAuth(req.headers.authorization);
    const postId = field(req.body, 'client_id');
    const postSecret = field(req.body, 'client_secret');
    if (basic && postSecret !== undefined)
      return oauthError('invalid_request', 'more than one client authentication method');
    const client = this.clients.get(basic?.username ?? postId ?? '');
    const method = client?.clientAuth ?? 'client_secret_basic';
    const secret =
      method === 'client_secret_basic' ? basic?.password : method === 'client_secret_post' ? postSecret : '';
    const usedMethod = basic
      ? 'client_secret_basic'
      : postSecret !== undefined
        ? 'client_secret_post'
        : 'none';
    if (
      !client ||
      usedMethod !== method ||
      secret === undefined ||
      (method !== 'none' && !safeEqual(secret, client.secret ?? ''))
    ) {
      return {
        ...oauthError('invalid_client', undefined, 401),
        headers: { 'cache-control': 'no-store', 'www-authenticate': 'Basic realm="oauth2-emulator"' },
      };
    }
    return client;
  }

  private token(req: EmulatorRequest): EmulatorReply {
    const grantType = field(req.body, 'grant_type');
    const key = grantType ?? '(none)';
    this.stats.tokenRequests[key] = (this.stats.tokenRequests[key] ?? 0) + 1;
    const client = this.authenticate(req);
    if (!('clientId' in client)) return client;
    const requested = splitScopes(field(req.body, 'scope'));
    const rotate = client.rotateRefreshTokens ?? true;

    if (grantType === 'client_credentials') {
      if (client.clientAuth === 'none') return oauthError('unauthorized_client');
      if (client.allowedScopes && requested.some((s) => !client.allowedScopes?.includes(s)))
        return oauthError('invalid_scope');
      return this.issue(this.grants.createGrant({ clientId: client.clientId, scopes: requested }), false);
    }
    if (grantType === 'authorization_code') {
      const result = this.codes.consume(field(req.body, 'code'));
      if (!result.ok) return oauthError('invalid_grant', `authorization code ${result.reason}`);
      const { record } = result;
      if (record.clientId !== client.clientId)
        return oauthError('invalid_grant', 'code was issued to another client');
      if (record.redirectUri && field(req.body, 'redirect_uri') !== record.redirectUri)
        return oauthError('invalid_grant', 'redirect_uri mismatch');
      const pkce = pkceProblem(record, field(req.body, 'code_verifier'));
      if (pkce) return oauthError('invalid_grant', pkce);
      return this.issue(
        this.grants.createGrant({ clientId: client.clientId, userId: record.userId, scopes: record.scopes }),
        true,
      );
    }
    if (grantType === 'refresh_token') {
      const result = this.grants.useRefresh(field(req.body, 'refresh_token'), client.clientId, rotate);
      this.stats.reuseDetections = this.grants.reuseDetections;
      if (!result.ok) return oauthError('invalid_grant', `refresh token ${result.reason}`);
      // RFC 6749 §6: a narrower scope may be requested, never a wider one.
      if (requested.some((s) => !result.grant.scopes.includes(s))) return oauthError('invalid_scope');
      return this.issue(result.grant, rotate, requested.length > 0 ? requested : undefined);
    }
    return oauthError('unsupported_grant_type');
  }

  private issue(grant: Grant, withRefresh: boolean, narrowed?: string[]): EmulatorReply {
    const ttl = this.options.accessTokenTtlSeconds ?? 3600;
    const access = this.grants.issueAccess(grant, ttl, narrowed);
    const body: Record<string, unknown> = {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: ttl,
    };
    if (withRefresh)
      body.refresh_token = this.grants.issueRefresh(
        grant,
        this.now() + (this.options.refreshTokenTtlSeconds ?? 30 * 86_400) * 1000,
      );
    body.scope = (narrowed ?? grant.scopes).join(' ');
    return json(200, body);
  }

  private resource(req: EmulatorRequest): EmulatorReply {
    this.stats.apiRequests++;
    const record = this.grants.lookupAccess(parseBearer(req.headers.authorization));
    if (!record)
      return json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    if (req.path.startsWith('/api/admin/') && !record.scopes.includes('admin')) {
      return json(
        403,
        { error: 'insufficient_scope' },
        { 'www-authenticate': 'Bearer error="insufficient_scope", scope="admin"' },
      );
    }
    return json(200, {
      sub: record.grant.userId ?? record.grant.clientId,
      scope: record.scopes.join(' '),
      path: req.path,
    });
  }
}

/** Starts a generic OAuth 2.0 emulator on 127.0.0.1. Remember `await emu.close()`. */
export async function startOAuth2Emulator(options: OAuth2EmulatorOptions = {}): Promise<OAuth2Emulator> {
  const emu = await new OAuth2Emulator(options).listen();
  for (const c of options.clients ?? []) emu.registerClient(c);
  return emu;
}
