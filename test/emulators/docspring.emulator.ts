/**
 * DocSpring API (providers.md §4): HTTP Basic with an API token id/secret, `GET /api/v1/authentication`, and
 * `POST /api/v1/data_requests/:id/tokens?type=api|email`. It keeps the exact `Authorization` header of every
 * request (`emu.requests[i].headers.authorization`, `emu.lastAuthorizationHeader`) so tests can compare it with
 * the official client's. `GET /data_requests/:id?token_id&token_secret` stands in for the hosted form page.
 */
import { json, parseBasicAuth, randomToken, safeEqual } from './common.js';
import type { EmulatorReply, EmulatorRequest } from './common.js';
import { Emulator, type BaseStats, type EmulatorOptions } from './emulator.js';

const TOKEN_TTL_SECONDS = { api: 3600, email: 30 * 86_400 } as const;
const MISSING_AUTH =
  'Missing Basic Auth: Please provide an API token via Basic Auth. See: https://docspring.com/docs/api-guide/authentication/';

export interface DocSpringEmulatorOptions extends EmulatorOptions {
  apiTokens?: DocSpringApiToken[];
  /** Data-request ids that exist (e.g. `drq_123`). */
  dataRequests?: string[];
  /** Host of `data_request_url` (app.docspring.com stand-in). Default: this emulator. */
  appUrl?: string;
}

export interface DocSpringApiToken {
  id: string;
  secret: string;
}

export interface DocSpringStats extends BaseStats {
  authenticationRequests: number;
  /** Data-request tokens created (201s). */
  dataRequestTokensCreated: number;
}

interface DataRequestToken {
  dataRequestId: string;
  secret: string;
  expiresAt: number;
}

export class DocSpringEmulator extends Emulator<DocSpringStats> {
  readonly stats: DocSpringStats = {
    requests: 0,
    injectedFailures: 0,
    authenticationRequests: 0,
    dataRequestTokensCreated: 0,
  };
  /** The `Authorization` header of the latest API request, exactly as received. */
  lastAuthorizationHeader: string | undefined;
  private readonly apiTokens = new Map<string, string>();
  private readonly dataRequests = new Set<string>();
  private readonly issued = new Map<string, DataRequestToken>();

  constructor(private readonly options: DocSpringEmulatorOptions = {}) {
    super(options);
  }

  /** `url` + `/api/v1`, the base the official clients use. */
  get apiUrl(): string {
    return `${this.url}/api/v1`;
  }

  addApiToken(token: DocSpringApiToken): void {
    this.apiTokens.set(token.id, token.secret);
  }

  addDataRequest(id: string): void {
    this.dataRequests.add(id);
  }

  /** Whether a data-request token (id + secret) exists and has not expired on the emulator clock. */
  isDataRequestTokenValid(tokenId: string, secret: string): boolean {
    const t = this.issued.get(tokenId);
    return t !== undefined && safeEqual(t.secret, secret) && this.now() < t.expiresAt;
  }

  protected override resetState(): void {
    this.issued.clear();
    this.lastAuthorizationHeader = undefined;
    this.stats.authenticationRequests = this.stats.dataRequestTokensCreated = 0;
  }

  protected handle(req: EmulatorRequest): EmulatorReply {
    const form = /^\/data_requests\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && form) return this.hostedForm(form[1], req.query);
    if (!req.path.startsWith('/api/v1/')) return this.error(404, 'Not found');
    this.lastAuthorizationHeader = req.headers.authorization;
    const authError = this.authenticate(req.headers.authorization);
    if (authError) return authError;
    if (req.method === 'GET' && req.path === '/api/v1/authentication') {
      this.stats.authenticationRequests++;
      return json(200, { status: 'success' });
    }
    const tokens = /^\/api\/v1\/data_requests\/([^/]+)\/tokens$/.exec(req.path);
    if (req.method === 'POST' && tokens)
      return this.createToken(decodeURIComponent(tokens[1]), req.query.type);
    return this.error(404, 'Not found');
  }

  /** The three documented 401s, in DocSpring's `{status, error}` shape. */
  private authenticate(header: string | undefined): EmulatorReply | undefined {
    const basic = parseBasicAuth(header, false);
    if (!basic) return this.error(401, MISSING_AUTH);
    const secret = this.apiTokens.get(basic.username);
    if (secret === undefined) return this.error(401, `Could not find API token with ID: ${basic.username}`);
    if (!safeEqual(basic.password, secret)) return this.error(401, 'Invalid API token secret');
    return undefined;
  }

  private createToken(dataRequestId: string, type = 'api'): EmulatorReply {
    if (!this.dataRequests.has(dataRequestId))
      return this.error(404, `Could not find data request with ID: ${dataRequestId}`);
    if (type !== 'api' && type !== 'email') {
      return json(422, {
        status: 'error',
        error: `Invalid token type: ${type}. Must be one of: api (expiration: 1 hour), email (expiration: 30 days)`,
      });
    }
    const id = randomToken('dtok_', 12);
    const secret = randomToken('', 30);
    const expiresAt = this.now() + TOKEN_TTL_SECONDS[type] * 1000;
    this.issued.set(id, { dataRequestId, secret, expiresAt });
    this.stats.dataRequestTokensCreated++;
    const formUrl = new URL(
      `/data_requests/${encodeURIComponent(dataRequestId)}`,
      this.options.appUrl ?? this.url,
    );
    formUrl.searchParams.set('token_id', id);
    formUrl.searchParams.set('token_secret', secret);
    return json(201, {
      status: 'success',
      token: {
        id,
        secret,
        // Second precision with `Z`, like the documented example (`2018-10-20T14:00:00Z`).
        expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        data_request_url: formUrl.toString(),
      },
    });
  }

  /** How the real form reports an expired token is undocumented: here 200 HTML when valid, 401 HTML otherwise. */
  private hostedForm(dataRequestId: string, q: Record<string, string>): EmulatorReply {
    const t = this.issued.get(q.token_id ?? '');
    const ok =
      t !== undefined &&
      t.dataRequestId === decodeURIComponent(dataRequestId) &&
      this.isDataRequestTokenValid(q.token_id, q.token_secret ?? '');
    return {
      status: ok ? 200 : 401,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: ok
        ? '<!doctype html><title>Data request</title><form></form>'
        : '<!doctype html><title>Link expired</title>',
    };
  }

  private error(status: number, message: string): EmulatorReply {
    return json(status, { status: 'error', error: message });
  }
}

/** Starts a DocSpring emulator on 127.0.0.1. Remember `await emu.close()`. */
export async function startDocSpringEmulator(
  options: DocSpringEmulatorOptions = {},
): Promise<DocSpringEmulator> {
  const emu = await new DocSpringEmulator(options).listen();
  for (const t of options.apiTokens ?? []) emu.addApiToken(t);
  for (const d of options.dataRequests ?? []) emu.addDataRequest(d);
  return emu;
}
