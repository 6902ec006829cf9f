/**
 * DocuSign account server (`/oauth/auth`, `/oauth/token`, `/oauth/userinfo`) plus a tiny eSignature REST surface
 * (`/restapi/v2.1/accounts/:accountId/...`), per providers.md §1. Users' `base_uri` defaults to this emulator, so
 * REST calls made from userinfo data come back here.
 */
import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
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
import { DocuSignApiLimits } from './docusign-api-limits.js';
import { checkAssertion } from './docusign-jwt.js';
import type {
  DocuSignAccount,
  DocuSignClient,
  DocuSignEmulatorOptions,
  DocuSignStats,
  DocuSignUserInit,
} from './docusign.types.js';
import { Emulator } from './emulator.js';

export type * from './docusign.types.js';
import { AuthCodeStore, GrantStore, pkceProblem } from './oauth-store.js';

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const DAY = 86_400;
/** What DocuSign's account servers call themselves in a JWT `aud` (providers.md §1.7). */
const REAL_HOSTS = { demo: 'account-d.docusign.com', production: 'account.docusign.com' };

interface User {
  sub: string;
  email: string;
  name: string;
  accounts: DocuSignAccount[];
}

type Client = Omit<DocuSignClient, 'publicKey'> & { publicKey?: KeyObject };

export class DocuSignEmulator extends Emulator<DocuSignStats> {
  readonly stats: DocuSignStats = {
    requests: 0,
    injectedFailures: 0,
    tokenRequests: {},
    reuseDetections: 0,
    userinfoRequests: 0,
    restRequests: 0,
    restRequestsByAccount: {},
    rateLimitedRequests: 0,
    adminConsents: 0,
  };
  // Lazy: field initializers run before the constructor's parameter properties are set.
  private readonly apiLimits = new DocuSignApiLimits(
    () => this.now(),
    () => ({
      hourly: this.options.apiLimits?.hourly,
      burst: this.options.apiLimits?.burst ?? (this.options.environment === 'production' ? 500 : 200),
    }),
  );
  private readonly clients = new Map<string, Client>();
  private readonly users = new Map<string, User>();
  private readonly consents = new Set<string>();
  private readonly codes = new AuthCodeStore(() => this.now());
  private readonly grants = new GrantStore(() => this.now(), 'ds_');
  private approvingUser: string | undefined;
  private denyAll = false;

  constructor(private readonly options: DocuSignEmulatorOptions = {}) {
    super(options);
  }

  registerClient(client: DocuSignClient): void {
    const publicKey = client.publicKey === undefined ? undefined : createPublicKey(client.publicKey);
    this.clients.set(client.clientId, { ...client, publicKey });
  }

  /** Adds (or replaces) a user. Accounts default to one default account whose `base_uri` is this emulator. */
  addUser(init: DocuSignUserInit): User {
    const accounts = (init.accounts ?? [{}]).map((a, i) => ({
      account_id: a.account_id ?? randomUUID(),
      is_default: a.is_default ?? i === 0,
      account_name: a.account_name ?? `Account ${i + 1}`,
      base_uri: a.base_uri ?? this.url,
    }));
    const user = {
      sub: init.sub,
      email: init.email ?? `${init.sub}@example.test`,
      name: init.name ?? 'Test User',
      accounts,
    };
    this.users.set(user.sub, user);
    return user;
  }

  /** Records JWT consent (`signature impersonation`) of `userId` for the integration key. */
  grantConsent(clientId: string, userId: string): void {
    this.consents.add(`${clientId} ${userId}`);
  }

  revokeConsent(clientId: string, userId: string): void {
    this.consents.delete(`${clientId} ${userId}`);
  }

  /** Who approves `/oauth/auth` when no `login_hint` names a user. Default: the first user added. */
  setApprovingUser(sub: string | undefined): void {
    this.approvingUser = sub;
  }

  /** Makes `/oauth/auth` redirect back with `error=access_denied` (the user clicked "Decline"). */
  denyAuthorizations(deny = true): void {
    this.denyAll = deny;
  }

  isAccessTokenValid(token: string): boolean {
    return this.grants.lookupAccess(token) !== undefined;
  }

  /** Revokes the whole grant behind an access or refresh token (like an admin removing the app). */
  revokeToken(token: string): boolean {
    return this.grants.revokeByToken(token);
  }

  protected override resetState(): void {
    this.codes.clear();
    this.grants.clear();
    Object.assign(this.stats, {
      tokenRequests: {},
      reuseDetections: 0,
      userinfoRequests: 0,
      restRequests: 0,
      restRequestsByAccount: {},
      rateLimitedRequests: 0,
    });
    this.apiLimits.clear();
  }

  /** Sets one account's REST limits (calls per hour, per 30 s burst); see `apiLimits`. */
  setApiLimits(accountId: string, limits: { hourly?: number; burst?: number }): void {
    this.apiLimits.set(accountId, limits);
  }

  protected handle(req: EmulatorRequest): EmulatorReply | Promise<EmulatorReply> {
    if (req.method === 'GET' && req.path === '/oauth/auth') return this.authorize(req);
    if (req.method === 'POST' && req.path === '/oauth/token') return this.token(req);
    if (req.method === 'GET' && req.path === '/oauth/userinfo') return this.userinfo(req);
    const rest = /^\/restapi\/v2\.1\/accounts\/([^/]+)(\/.*)?$/.exec(req.path);
    if (rest) return this.restApi(req, rest[1], rest[2] ?? '');
    return json(404, { errorCode: 'NOT_FOUND', message: `No route ${req.method} ${req.path}` });
  }

  private authorize(req: EmulatorRequest): EmulatorReply {
    const q = req.query;
    const client = this.clients.get(q.client_id ?? '');
    // Never redirect to an unverified URI: errors about the client or redirect_uri are shown, not redirected.
    if (!client) return oauthError('invalid_request', 'client_id is not a registered integration key');
    if (!q.redirect_uri || !(client.redirectUris ?? []).includes(q.redirect_uri)) {
      return oauthError('invalid_request', 'redirect_uri does not match a registered redirect URI');
    }
    const back = (params: Record<string, string | undefined>): EmulatorReply =>
      redirect(withQuery(q.redirect_uri, { ...params, state: q.state }));
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type' });
    const scopes = splitScopes(q.scope);
    if (scopes.length === 0)
      return back({ error: 'invalid_request', error_description: 'scope is required' });
    if (q.code_challenge !== undefined && q.code_challenge_method !== 'S256') {
      return back({ error: 'invalid_request', error_description: 'code_challenge_method must be S256' });
    }
    const hinted = q.login_hint
      ? [...this.users.values()].find((u) => u.sub === q.login_hint || u.email === q.login_hint)
      : undefined;
    const user = hinted ?? this.users.get(this.approvingUser ?? '') ?? this.users.values().next().value;
    if (this.denyAll || !user) return back({ error: 'access_denied' });
    // Approving `impersonation` is how individual JWT consent is given (providers.md §1.7). An admin's
    // `scope=openid&admin_consent_scope=signature impersonation` consents for every user of the organization
    // (here: every user the emulator knows).
    if (scopes.includes('impersonation')) this.grantConsent(client.clientId, user.sub);
    if (scopes.includes('openid') && splitScopes(q.admin_consent_scope).includes('impersonation')) {
      for (const member of this.users.values()) this.grantConsent(client.clientId, member.sub);
      this.stats.adminConsents++;
    }
    const code = this.codes.issue({
      clientId: client.clientId,
      userId: user.sub,
      redirectUri: q.redirect_uri,
      scopes,
      codeChallenge: q.code_challenge,
      expiresAt: this.now() + (this.options.codeTtlSeconds ?? 120) * 1000,
    });
    return back({ code });
  }

  private async token(req: EmulatorRequest): Promise<EmulatorReply> {
    const grantType = field(req.body, 'grant_type');
    const key = grantType ?? '(none)';
    this.stats.tokenRequests[key] = (this.stats.tokenRequests[key] ?? 0) + 1;
    if (grantType === JWT_GRANT) return this.jwtGrant(field(req.body, 'assertion'));
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token')
      return oauthError('unsupported_grant_type');
    const client = this.authenticate(req);
    if (!client) return oauthError('invalid_grant', 'unauthorized_client');
    if (grantType === 'authorization_code') {
      const result = this.codes.consume(field(req.body, 'code'));
      if (!result.ok) return oauthError('invalid_grant', 'expired_client_token');
      const { record } = result;
      if (record.clientId !== client.clientId) return oauthError('invalid_grant', 'unauthorized_client');
      const pkce = pkceProblem(record, field(req.body, 'code_verifier'));
      if (pkce) return oauthError('invalid_grant', pkce);
      if (!client.secret && record.codeChallenge === undefined)
        return oauthError('invalid_grant', 'unauthorized_client');
      const refreshExpiresAt = this.now() + (this.options.refreshTokenTtlSeconds ?? 30 * DAY) * 1000;
      const grant = this.grants.createGrant({
        clientId: client.clientId,
        userId: record.userId,
        scopes: record.scopes,
        refreshExpiresAt,
      });
      return this.tokenResponse(grant, refreshExpiresAt);
    }
    const result = this.grants.useRefresh(field(req.body, 'refresh_token'), client.clientId, true);
    this.stats.reuseDetections = this.grants.reuseDetections;
    // providers.md §1.8: expired or revoked refresh tokens give a bare invalid_grant.
    if (!result.ok) return oauthError('invalid_grant');
    // `extended` restarts the refresh-token lifetime; otherwise the first token's absolute expiry is kept.
    const refreshExpiresAt = result.grant.scopes.includes('extended')
      ? this.now() + (this.options.refreshTokenTtlSeconds ?? 30 * DAY) * 1000
      : result.expiresAt;
    return this.tokenResponse(result.grant, refreshExpiresAt);
  }

  /**
   * Basic auth for confidential apps; `client_id` in the body for public (PKCE-only) apps. The credentials are
   * read raw, `base64(integrationKey:secretKey)`, exactly as DocuSign's SDKs build the header (providers.md §1.3,
   * [DS-NODE] `generateAccessToken`): no RFC 6749 form-encoding, so a secret with `+/=%` must arrive verbatim.
   */
  private authenticate(req: EmulatorRequest): Client | undefined {
    const basic = parseBasicAuth(req.headers.authorization, false);
    if (basic) {
      const client = this.clients.get(basic.username);
      return client?.secret !== undefined && safeEqual(basic.password, client.secret) ? client : undefined;
    }
    const client = this.clients.get(field(req.body, 'client_id') ?? '');
    return client && client.secret === undefined ? client : undefined;
  }

  private tokenResponse(
    grant: ReturnType<GrantStore['createGrant']>,
    refreshExpiresAt?: number,
  ): EmulatorReply {
    const jwt = refreshExpiresAt === undefined;
    const ttl = jwt
      ? (this.options.jwtAccessTokenTtlSeconds ?? 3600)
      : (this.options.accessTokenTtlSeconds ?? 28_800);
    const access = this.grants.issueAccess(grant, ttl);
    const body: Record<string, unknown> = { access_token: access.token, token_type: 'Bearer' };
    if (!jwt) body.refresh_token = this.grants.issueRefresh(grant, refreshExpiresAt);
    body.expires_in = ttl;
    if (this.options.includeScopeInTokenResponse) body.scope = grant.scopes.join(' ');
    return json(200, body);
  }

  private async jwtGrant(assertion: string | undefined): Promise<EmulatorReply> {
    const checked = await checkAssertion(assertion, (iss) => this.clients.get(iss), {
      audience: this.options.jwtAudience ?? REAL_HOSTS[this.options.environment ?? 'demo'],
      now: this.now(),
      maxLifetimeSeconds: this.options.maxJwtLifetimeSeconds ?? 3600,
    });
    if ('status' in checked) return checked;
    const { client, claims } = checked;
    const user = this.users.get(String(claims.sub ?? ''));
    if (!user) return oauthError('invalid_grant', 'user_not_found');
    const scopes = splitScopes(typeof claims.scope === 'string' ? claims.scope : undefined);
    if (!scopes.includes('impersonation'))
      return oauthError('invalid_scope', 'the impersonation scope is required');
    if (!this.consents.has(`${client.clientId} ${user.sub}`)) return oauthError('consent_required');
    return this.tokenResponse(
      this.grants.createGrant({ clientId: client.clientId, userId: user.sub, scopes }),
    );
  }

  private userinfo(req: EmulatorRequest): EmulatorReply {
    this.stats.userinfoRequests++;
    const record = this.grants.lookupAccess(parseBearer(req.headers.authorization));
    const user = record?.grant.userId ? this.users.get(record.grant.userId) : undefined;
    // providers.md §1.8: DocuSign has been seen answering a bad token this way.
    if (!user) return json(401, { error: 'internal_server_error', reference_id: randomUUID() });
    const [given, ...family] = user.name.split(' ');
    const asString = this.options.isDefaultFormat === 'string';
    return json(200, {
      sub: user.sub,
      name: user.name,
      given_name: given,
      family_name: family.join(' '),
      created: '2024-01-01T00:00:00.000Z',
      email: user.email,
      accounts: user.accounts.map((a) => ({
        ...a,
        is_default: asString ? String(a.is_default) : a.is_default,
      })),
    });
  }

  /**
   * Any method on `/restapi/v2.1/accounts/:accountId[/...]` answers 200 JSON for a valid bearer whose user is a
   * member of the account. Every route needs scope `signature`; `/admin-only` additionally needs `extended`.
   */
  private restApi(req: EmulatorRequest, accountId: string, rest: string): EmulatorReply {
    this.stats.restRequests++;
    this.stats.restRequestsByAccount[accountId] = (this.stats.restRequestsByAccount[accountId] ?? 0) + 1;
    const limited = this.apiLimits.spend(accountId);
    if (limited.refused) {
      this.stats.rateLimitedRequests++;
      return json(429, limited.refused, limited.headers);
    }
    const answer = this.restAnswer(req, accountId, rest);
    answer.headers = { ...answer.headers, ...limited.headers };
    return answer;
  }

  private restAnswer(req: EmulatorRequest, accountId: string, rest: string): EmulatorReply {
    const record = this.grants.lookupAccess(parseBearer(req.headers.authorization));
    if (!record) {
      return json(401, {
        errorCode: 'USER_AUTHENTICATION_FAILED',
        message: 'One or both of Username and Password are invalid. Invalid access token',
      });
    }
    const user = this.users.get(record.grant.userId ?? '');
    if (!user?.accounts.some((a) => a.account_id === accountId)) {
      return json(400, {
        errorCode: 'USER_LACKS_MEMBERSHIP',
        message: 'The UserID does not have a valid membership in this Account.',
      });
    }
    const needed = rest === '/admin-only' ? ['signature', 'extended'] : ['signature'];
    const missing = needed.find((s) => !record.grant.scopes.includes(s));
    if (missing)
      return json(403, {
        errorCode: 'INSUFFICIENT_SCOPE',
        message: `The access token lacks the required scope: ${missing}`,
      });
    return json(200, { accountId, path: rest || '/', method: req.method, userId: user.sub });
  }
}

/** Starts a DocuSign emulator on 127.0.0.1 (random port). Remember `await emu.close()`. */
export async function startDocuSignEmulator(
  options: DocuSignEmulatorOptions = {},
): Promise<DocuSignEmulator> {
  const emu = await new DocuSignEmulator(options).listen();
  for (const c of options.clients ?? []) emu.registerClient(c);
  for (const u of options.users ?? []) emu.addUser(u);
  return emu;
}
