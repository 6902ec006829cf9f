/**
 * Signicat token services and a scope-checked REST surface, per providers.md §3 (client credentials only, no
 * refresh tokens). Listeners and paths:
 * - `url` + `POST /oauth/connect/token`      Signicat Express (api.signicat.io)
 * - `url` + `POST /auth/open/connect/token`  new platform (api.signicat.com); scope must be `signicat-api`
 * - `idfyUrl` + `POST /oauth/connect/token`  Idfy (api.idfy.io); same path as Express, hence its own listener
 * With one URL replacing all three hosts (as the library's `signicatUrl` does), Express and Idfy clients are both
 * accepted on `/oauth/connect/token` of either listener unless `strictHosts` is set.
 */
import { randomUUID } from 'node:crypto';
import {
  field,
  json,
  oauthError,
  parseBasicAuth,
  parseBearer,
  randomToken,
  safeEqual,
  splitScopes,
} from './common.js';
import type { EmulatorReply, EmulatorRequest } from './common.js';
import { Emulator, type BaseStats, type EmulatorOptions } from './emulator.js';

export type SignicatGeneration = 'express' | 'platform' | 'idfy';

export interface SignicatEmulatorOptions extends EmulatorOptions {
  /** true: Express clients only on `url`, Idfy clients only on `idfyUrl`. Default false. */
  strictHosts?: boolean;
  clients?: SignicatClient[];
}

export interface SignicatClient {
  clientId: string;
  secret: string;
  generation: SignicatGeneration;
  /**
   * Express/Idfy: the scopes configured in the dashboard (e.g. `document_read`). Platform: the API permissions
   * (e.g. `sign`, `info`); the requested scope is always `signicat-api`.
   */
  scopes: string[];
  /** Default 3 600 (Express, Idfy) or 600 (platform). */
  accessTokenTtlSeconds?: number;
}

export interface SignicatStats extends BaseStats {
  tokenRequests: number;
  apiRequests: number;
}

interface TokenRecord {
  clientId: string;
  generation: SignicatGeneration;
  scopes: string[];
  expiresAt: number;
}

/** Express routes: path prefix → scope needed (GET needs the `_read`, other methods the `_write` scope). */
const EXPRESS_ROUTES: [string, string, string][] = [
  ['/signature', 'document_read', 'document_write'],
  ['/identification', 'identify', 'identify'],
  ['/account', 'account_read', 'account_write'],
];
/** Platform routes: path prefix → permission needed. */
const PLATFORM_ROUTES: [string, string][] = [
  ['/sign', 'sign'],
  ['/express/sign', 'sign'],
  ['/info', 'info'],
];

export class SignicatEmulator extends Emulator<SignicatStats> {
  readonly stats: SignicatStats = { requests: 0, injectedFailures: 0, tokenRequests: 0, apiRequests: 0 };
  private readonly clients = new Map<string, SignicatClient>();
  private readonly tokens = new Map<string, TokenRecord>();

  constructor(private readonly options: SignicatEmulatorOptions = {}) {
    super(options);
  }

  get idfyUrl(): string {
    return this.urlOf('idfy');
  }

  registerClient(client: SignicatClient): void {
    this.clients.set(client.clientId, client);
  }

  isAccessTokenValid(token: string): boolean {
    const t = this.tokens.get(token);
    return t !== undefined && this.now() < t.expiresAt;
  }

  protected override listenerNames(): string[] {
    return ['main', 'idfy'];
  }

  protected override resetState(): void {
    this.tokens.clear();
    this.stats.tokenRequests = this.stats.apiRequests = 0;
  }

  protected handle(req: EmulatorRequest): EmulatorReply {
    if (req.method === 'POST' && req.path === '/auth/open/connect/token' && req.listener === 'main')
      return this.token(req, 'platform');
    if (req.method === 'POST' && req.path === '/oauth/connect/token')
      return this.token(req, req.listener === 'idfy' ? 'idfy' : 'express');
    this.stats.apiRequests++;
    const under = (prefix: string): boolean => req.path === prefix || req.path.startsWith(`${prefix}/`);
    const platform = PLATFORM_ROUTES.find(([prefix]) => under(prefix));
    const express = EXPRESS_ROUTES.find(([prefix]) => under(prefix));
    if (platform) return this.api(req, 'platform', platform[1]);
    if (express) return this.api(req, 'express', req.method === 'GET' ? express[1] : express[2]);
    return json(404, this.problem(404, 'not_found', 'Not found.', `No route ${req.method} ${req.path}`));
  }

  private token(req: EmulatorRequest, endpoint: SignicatGeneration): EmulatorReply {
    this.stats.tokenRequests++;
    // Both client_secret_basic (the docs) and client_secret_post (the official .NET SDKs) are accepted.
    const basic = parseBasicAuth(req.headers.authorization);
    const clientId = basic?.username ?? field(req.body, 'client_id');
    const secret = basic?.password ?? field(req.body, 'client_secret');
    const client = this.clients.get(clientId ?? '');
    if (
      !client ||
      secret === undefined ||
      !safeEqual(secret, client.secret) ||
      !this.servesGeneration(endpoint, client.generation)
    ) {
      return oauthError('invalid_client');
    }
    if (field(req.body, 'grant_type') !== 'client_credentials') return oauthError('unsupported_grant_type');
    const requested = splitScopes(field(req.body, 'scope'));
    let scopes: string[];
    if (client.generation === 'platform') {
      // Platform access is governed by permissions on the client; the scope is always `signicat-api`.
      if (requested.some((s) => s !== 'signicat-api')) return oauthError('invalid_scope');
      scopes = client.scopes;
    } else {
      if (requested.some((s) => !client.scopes.includes(s))) return oauthError('invalid_scope');
      // IdentityServer semantics: no scope parameter means every scope the client is allowed.
      scopes = requested.length > 0 ? requested : client.scopes;
    }
    const ttl = client.accessTokenTtlSeconds ?? (client.generation === 'platform' ? 600 : 3600);
    const token = randomToken('sig_');
    this.tokens.set(token, {
      clientId: client.clientId,
      generation: client.generation,
      scopes,
      expiresAt: this.now() + ttl * 1000,
    });
    return json(200, {
      access_token: token,
      expires_in: ttl,
      token_type: 'Bearer',
      scope: client.generation === 'platform' ? 'signicat-api' : scopes.join(' '),
    });
  }

  private servesGeneration(endpoint: SignicatGeneration, client: SignicatGeneration): boolean {
    if (endpoint === client) return true;
    return !this.options.strictHosts && endpoint !== 'platform' && client !== 'platform';
  }

  /** 401: token missing, unknown, expired or from the other generation. 403: the token lacks `needed`. */
  private api(req: EmulatorRequest, generation: 'express' | 'platform', needed: string): EmulatorReply {
    const token = this.tokens.get(parseBearer(req.headers.authorization) ?? '');
    const tokenGeneration = token?.generation === 'idfy' ? 'express' : token?.generation;
    if (!token || this.now() >= token.expiresAt || tokenGeneration !== generation) {
      const body =
        generation === 'platform'
          ? this.problem(
              401,
              'invalid_token',
              'Invalid authentication token.',
              'The access token is missing, expired or invalid.',
            )
          : { message: 'Unauthorized', errors: [] };
      return json(401, body, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    if (!token.scopes.includes(needed)) {
      const body =
        generation === 'platform'
          ? this.problem(
              403,
              'insufficient_permissions',
              'Forbidden.',
              `The API client lacks the permission "${needed}".`,
            )
          : { message: `Forbidden: the access token lacks the scope "${needed}"`, errors: [] };
      return json(403, body);
    }
    return json(200, { ok: true, method: req.method, path: req.path, clientId: token.clientId });
  }

  /** The new platform's error object (providers.md §3.5). */
  private problem(status: number, code: string, title: string, detail: string): Record<string, unknown> {
    return {
      type: `https://developer.signicat.com/docs/error-codes/#${code}`,
      title,
      detail,
      code,
      status,
      traceId: randomUUID().replace(/-/g, ''),
    };
  }
}

/** Starts a Signicat emulator (main + idfy listeners) on 127.0.0.1. Remember `await emu.close()`. */
export async function startSignicatEmulator(
  options: SignicatEmulatorOptions = {},
): Promise<SignicatEmulator> {
  const emu = await new SignicatEmulator(options).listen();
  for (const c of options.clients ?? []) emu.registerClient(c);
  return emu;
}
