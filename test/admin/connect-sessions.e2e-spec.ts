import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type LoggerService,
} from '@nestjs/common';
import type { Request } from 'express';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectSessionsService, SigningAuthModule, type SigningAuthModuleOptions } from 'signing-auth';
import { DataSource } from 'typeorm';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { freePort } from '../support/app-process.js';
import { StaticTokenStrategy } from '../support/fake-strategy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { AdminClient, type AdminResponse } from './admin-client.js';
import { ADMIN_TOKEN } from './admin-test-app.js';
import { createOpenApiDocument } from '../../src/docs/swagger.js';

const IK = randomUUID();
const DOCUSIGN_SECRET = `docusign-secret-${randomUUID()}`;
const USER = randomUUID();
const ACCOUNT = randomUUID();
const RETURN_ORIGIN = 'https://app.example.com';
const KEY = newKey('k1');
const TOKEN_SHAPE = /^sa_cs_[A-Za-z0-9_-]{43}$/;
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** A host's own admin guard at its most permissive: any bearer is an admin. */
@Injectable()
class AdmitsAnyBearer implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return /^Bearer \S+$/.test(context.switchToHttp().getRequest<Request>().headers.authorization ?? '');
  }
}

/** Every log line of both replicas, at every level. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private add(level: string, message: unknown, rest: unknown[]): void {
    this.lines.push([level, String(message), ...rest.map((r) => JSON.stringify(r))].join(' '));
  }
  log(m: unknown, ...r: unknown[]) {
    this.add('log', m, r);
  }
  error(m: unknown, ...r: unknown[]) {
    this.add('error', m, r);
  }
  warn(m: unknown, ...r: unknown[]) {
    this.add('warn', m, r);
  }
  debug(m: unknown, ...r: unknown[]) {
    this.add('debug', m, r);
  }
  verbose(m: unknown, ...r: unknown[]) {
    this.add('verbose', m, r);
  }
}

/**
 * Connect sessions (decision 022) over HTTP on a real database: the permission table route by route, expiry on
 * the database clock, revocation, two replicas, hashing at rest, no token in logs or events, returnUrl
 * validation, and the callback of a session-started OAuth flow.
 */
describe('connect sessions', () => {
  let db: TestDatabase;
  let docusign: DocuSignEmulator;
  let publicUrl: string;
  let replicaA: INestApplication;
  let replicaB: INestApplication;
  let admin: AdminClient;
  let adminB: AdminClient;
  const logger = new CapturingLogger();
  const events: Array<{ name: string; payload: Record<string, unknown> }> = [];
  /** Every token handed out: none may show up in logs, events or the dump. */
  const issued: string[] = [];

  async function replica(
    port: number,
    options: Partial<SigningAuthModuleOptions>,
  ): Promise<{ app: INestApplication; client: AdminClient }> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        SigningAuthModule.forRoot({
          encryptionKeys: [KEY],
          adminApi: true,
          admin: { tokens: [ADMIN_TOKEN] },
          publicUrl,
          hosts: { docusignOAuthUrl: docusign.url },
          strategies: [new StaticTokenStrategy()],
          sweep: { enabled: false },
          connect: { returnUrlOrigins: [RETURN_ORIGIN, 'http://localhost:5173'] },
          observer: { onEvent: (name, payload) => events.push({ name, payload }) },
          ...options,
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger });
    await app.listen(port, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    return { app, client: new AdminClient(`http://127.0.0.1:${address.port}`, ADMIN_TOKEN) };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    docusign = await startDocuSignEmulator({
      clients: [
        {
          clientId: IK,
          secret: DOCUSIGN_SECRET,
          redirectUris: [`${publicUrl}/signing-auth/oauth/docusign/callback`],
        },
      ],
      users: [
        {
          sub: USER,
          accounts: [{ account_id: ACCOUNT, account_name: 'Acme', base_uri: 'https://demo.docusign.net' }],
        },
      ],
    });
    ({ app: replicaA, client: admin } = await replica(port, {}));
    // Replica B runs two days ahead: were expiry judged on an app clock, B would call every session expired.
    ({ app: replicaB, client: adminB } = await replica(0, {
      clock: () => new Date(Date.now() + 2 * 86_400_000),
    }));
  });

  afterAll(async () => {
    await replicaA?.close();
    await replicaB?.close();
    await docusign?.close();
    await db?.close();
  });

  async function createSession(body: Record<string, unknown> = {}, tenant = 'acme'): Promise<string> {
    const res = await admin.request('POST', `/signing-auth/tenants/${tenant}/connect-sessions`, { body });
    expect(res.status).toBe(201);
    const { token } = res.json as { token: string };
    issued.push(token);
    return token;
  }
  const as = (token: string, client = admin) => new AdminClient(client.baseUrl, token);
  const sql = (query: string, params: unknown[] = []) => replicaA.get(DataSource).query(query, params);
  const expectMessage = (res: AdminResponse, status: number, message: RegExp) => {
    expect({ status: res.status, body: res.json }).toEqual({
      status,
      body: { statusCode: status, error: expect.any(String), message: expect.stringMatching(message) },
    });
  };
  const staticBody = { config: { clientId: 'c' }, secrets: { clientSecret: 's' } };
  const docusignBody = {
    config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code' },
    secrets: { secretKey: DOCUSIGN_SECRET },
  };

  it('creates a session (201): a 256-bit sa_cs_ token, the page URL with the token in the fragment, DB-clock expiry', async () => {
    const before = Date.now();
    const res = await admin.request('POST', '/signing-auth/tenants/acme/connect-sessions', {
      body: { providers: ['static-test', 'docusign'], returnUrl: `${RETURN_ORIGIN}/settings?tab=esign` },
    });
    expect(res.status).toBe(201);
    const created = res.json as Record<string, string>;
    issued.push(created.token);
    expect(Object.keys(created).sort()).toEqual([
      'connectUrl',
      'expiresAt',
      'providers',
      'tenantId',
      'token',
    ]);
    expect(created.token).toMatch(TOKEN_SHAPE);
    expect(created.connectUrl).toBe(`${publicUrl}/signing-auth/connect/#session=${created.token}`);
    expect(created).toMatchObject({ tenantId: 'acme', providers: ['static-test', 'docusign'] });
    const lifetime = Date.parse(created.expiresAt) - before;
    expect(lifetime).toBeGreaterThan(29 * 60_000);
    expect(lifetime).toBeLessThan(31 * 60_000);

    // Without providers: every provider the module knows. The service gives the same answer as the route.
    const service = await replicaA.get(ConnectSessionsService).create('acme', { expiresInSeconds: 60 });
    issued.push(service.token);
    expect(service.providers).toEqual([
      'docusign',
      'formstack-sign',
      'signicat',
      'docspring',
      'oauth2',
      'static-test',
    ]);
    expect(Date.parse(service.expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    expect(service.token).not.toBe(created.token);
  });

  it('GET /connect-session describes the session to its own token; 401 without one, 403 for an admin', async () => {
    const withReturn = await createSession({ providers: ['docusign'], returnUrl: `${RETURN_ORIGIN}/back` });
    const res = await as(withReturn).request('GET', '/signing-auth/connect-session');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      tenantId: 'acme',
      providers: ['docusign'],
      expiresAt: expect.any(String),
      returnOrigin: RETURN_ORIGIN,
      returnUrl: `${RETURN_ORIGIN}/back`,
      allowDelete: false,
    });
    const plain = await createSession({ allowDelete: true });
    expect((await as(plain).request('GET', '/signing-auth/connect-session')).json).toEqual({
      tenantId: 'acme',
      providers: expect.arrayContaining(['docusign', 'static-test']),
      expiresAt: expect.any(String),
      allowDelete: true,
    });
    expect(
      (await admin.request('GET', '/signing-auth/connect-session', { authorization: null })).status,
    ).toBe(401);
    expectMessage(await admin.request('GET', '/signing-auth/connect-session'), 403, /send its token/);
  });

  it('permission table: own tenant yes (PUT only for its providers, DELETE only with allowDelete), other tenant and admin-only routes 403', async () => {
    expect(
      (
        await admin.request('PUT', '/signing-auth/tenants/globex/connections/static-test', {
          body: staticBody,
        })
      ).status,
    ).toBe(200);
    const session = as(await createSession({ providers: ['static-test', 'docusign'] }));
    const t = '/signing-auth/tenants';

    // Own tenant, the session's providers.
    const eventsBefore = events.length;
    const put = await session.request('PUT', `${t}/acme/connections/static-test`, { body: staticBody });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ tenantId: 'acme', provider: 'static-test', status: 'active' });
    expect(events.slice(eventsBefore)).toContainEqual({
      name: 'connect_session.connected',
      payload: expect.objectContaining({ provider: 'static-test', via: 'credentials' }),
    });
    expect((await session.request('GET', `${t}/acme/connections/static-test`)).status).toBe(200);
    expect((await session.request('POST', `${t}/acme/connections/static-test/refresh`)).status).toBe(200);
    expect(
      (await session.request('PUT', `${t}/acme/connections/docusign`, { body: docusignBody })).status,
    ).toBe(200);
    const providersOf = (res: AdminResponse) =>
      (res.json as Array<{ provider: string }>).map((c) => c.provider).sort();
    const list = await session.request('GET', `${t}/acme/connections`);
    expect(list.status).toBe(200);
    expect(providersOf(list)).toEqual(['docusign', 'static-test']);
    // A session naming fewer providers lists only those.
    const narrow = as(await createSession({ providers: ['static-test'] }));
    expect(providersOf(await narrow.request('GET', `${t}/acme/connections`))).toEqual(['static-test']);
    expectMessage(
      await narrow.request('POST', `${t}/acme/connections/docusign/authorize`),
      403,
      /does not cover this provider/,
    );
    const authorize = await session.request('POST', `${t}/acme/connections/docusign/authorize`);
    expect(authorize.status).toBe(200);
    expect((authorize.json as { authorizationUrl: string }).authorizationUrl).toMatch(/\/oauth\/auth\?/);
    const providers = await session.request('GET', '/signing-auth/providers');
    expect(providers.status).toBe(200);
    expect((providers.json as Array<{ provider: string }>).map((p) => p.provider)).toEqual([
      'docusign',
      'static-test',
    ]);

    // A provider outside the session's list.
    expectMessage(
      await session.request('PUT', `${t}/acme/connections/oauth2`, { body: staticBody }),
      403,
      /does not cover this provider: it may act only on static-test, docusign/,
    );
    expectMessage(
      await session.request('GET', `${t}/acme/connections/oauth2`),
      403,
      /does not cover this provider/,
    );

    // DELETE without allowDelete.
    expectMessage(
      await session.request('DELETE', `${t}/acme/connections/static-test`),
      403,
      /may not delete connections: create the session with allowDelete: true/,
    );
    expect((await admin.request('GET', `${t}/acme/connections/static-test`)).status).toBe(200);

    // Another tenant: every route, with the reason.
    const other = /belongs to another tenant: it may act only on tenant "acme"/;
    expectMessage(await session.request('GET', `${t}/globex/connections`), 403, other);
    expectMessage(await session.request('GET', `${t}/globex/connections/static-test`), 403, other);
    expectMessage(
      await session.request('PUT', `${t}/globex/connections/static-test`, { body: staticBody }),
      403,
      other,
    );
    expectMessage(await session.request('POST', `${t}/globex/connections/static-test/refresh`), 403, other);
    expectMessage(await session.request('POST', `${t}/globex/connections/docusign/authorize`), 403, other);
    expectMessage(await session.request('DELETE', `${t}/globex/connections/static-test`), 403, other);
    expect((await admin.request('GET', `${t}/globex/connections/static-test`)).status).toBe(200);

    // Admin-only routes, even for the session's own tenant.
    const adminOnly = /may not use this route: it needs an admin token/;
    expectMessage(await session.request('POST', `${t}/acme/connect-sessions`, { body: {} }), 403, adminOnly);
    expectMessage(await session.request('DELETE', `${t}/acme/connect-sessions`), 403, adminOnly);
    expectMessage(
      await session.request('POST', `${t}/acme/docspring/data-requests/drq_1/tokens`),
      403,
      adminOnly,
    );

    // With allowDelete the same session shape may delete.
    const deleter = as(await createSession({ providers: ['static-test'], allowDelete: true }));
    expect((await deleter.request('DELETE', `${t}/acme/connections/static-test`)).status).toBe(204);
    expect((await admin.request('GET', `${t}/acme/connections/static-test`)).status).toBe(404);

    // The admin token keeps working everywhere.
    expect((await admin.request('GET', `${t}/globex/connections`)).status).toBe(200);
    expect((await admin.request('GET', '/signing-auth/providers')).status).toBe(200);
    expect((await admin.request('DELETE', `${t}/globex/connections/static-test`)).status).toBe(204);
  });

  it('a session token is never an admin token (not even for a custom guard that admits any bearer); a made-up one is 401 everywhere', async () => {
    const token = await createSession();
    // Its own tenant's admin-only route: 403, not admitted as admin.
    expect(
      (await as(token).request('POST', '/signing-auth/tenants/acme/connect-sessions', { body: {} })).status,
    ).toBe(403);
    const forged = `sa_cs_${'A'.repeat(43)}`;
    for (const [method, path] of [
      ['GET', '/signing-auth/tenants/acme/connections'],
      ['POST', '/signing-auth/tenants/acme/connect-sessions'],
      ['GET', '/signing-auth/providers'],
      ['GET', '/signing-auth/connect-session'],
    ]) {
      expectMessage(await as(forged).request(method, path), 401, /connect session token is not valid/);
      expectMessage(await as(`${token}x`).request(method, path), 401, /connect session token is not valid/);
    }
    // A host guard that admits any bearer never sees a session token: the session rules decide alone.
    const permissive = await replica(0, { admin: { tokens: [], guard: AdmitsAnyBearer } });
    try {
      const viaHostGuard = as(token, permissive.client);
      expect((await viaHostGuard.request('GET', '/signing-auth/tenants/acme/connections')).status).toBe(200);
      expectMessage(
        await viaHostGuard.request('POST', '/signing-auth/tenants/acme/connect-sessions'),
        403,
        /needs an admin token/,
      );
      expectMessage(
        await viaHostGuard.request('GET', '/signing-auth/tenants/globex/connections'),
        403,
        /another tenant/,
      );
      expectMessage(
        await as(forged, permissive.client).request('GET', '/signing-auth/providers'),
        401,
        /not valid/,
      );
      expect(
        (await as('anything', permissive.client).request('GET', '/signing-auth/tenants/globex/connections'))
          .status,
      ).toBe(200);
    } finally {
      await permissive.app.close();
    }
    // An admin token may not look like a session token (it would never reach the admin check).
    const boot = () =>
      SigningAuthModule.forRoot({ encryptionKeys: [KEY], adminApi: true, admin: { tokens: [forged] } });
    expect(boot).toThrow(/an admin token may not start with "sa_cs_"/);
  });

  it('expiry is judged on the database clock: a replica two days ahead accepts a live session; a row expired in SQL is 401 on both', async () => {
    const token = await createSession({ expiresInSeconds: 60 });
    // Created on A, used on B (same database, clock two days ahead).
    const onB = await as(token, adminB).request('GET', '/signing-auth/tenants/acme/connections');
    expect(onB.status).toBe(200);
    expect((await as(token, adminB).request('GET', '/signing-auth/connect-session')).status).toBe(200);
    // The stored expiry is the database's now() + 60 s.
    const [row] = await sql(
      `SELECT extract(epoch FROM "expires_at" - now())::float AS "left" FROM "signing_auth_connect_sessions" WHERE "token_hash" = $1`,
      [sha256(token)],
    );
    expect(row.left).toBeGreaterThan(55);
    expect(row.left).toBeLessThanOrEqual(60);

    await sql(
      `UPDATE "signing_auth_connect_sessions" SET "expires_at" = now() - interval '1 second' WHERE "token_hash" = $1`,
      [sha256(token)],
    );
    for (const client of [admin, adminB]) {
      expectMessage(
        await as(token, client).request('GET', '/signing-auth/tenants/acme/connections'),
        401,
        /has expired: ask for a new connect link/,
      );
      expectMessage(
        await as(token, client).request('PUT', '/signing-auth/tenants/acme/connections/static-test', {
          body: staticBody,
        }),
        401,
        /has expired/,
      );
      const res = await as(token, client).request('GET', '/signing-auth/connect-session');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('DELETE …/connect-sessions revokes every open session of that tenant only (204; 401 afterwards, on any replica)', async () => {
    const first = await createSession({}, 'revoke-me');
    const second = await createSession({ providers: ['docusign'] }, 'revoke-me');
    const elsewhere = await createSession({}, 'keep-me');
    const revoked = events.length;
    const res = await admin.request('DELETE', '/signing-auth/tenants/revoke-me/connect-sessions');
    expect(res.status).toBe(204);
    expect(events.slice(revoked)).toContainEqual({
      name: 'connect_session.revoked',
      payload: { tenantId: 'revoke-me', revoked: 2 },
    });
    for (const token of [first, second]) {
      for (const client of [admin, adminB]) {
        expectMessage(
          await as(token, client).request('GET', '/signing-auth/tenants/revoke-me/connections'),
          401,
          /was revoked/,
        );
      }
    }
    expect((await as(elsewhere).request('GET', '/signing-auth/tenants/keep-me/connections')).status).toBe(
      200,
    );
    // Revoking nothing is fine too.
    expect((await admin.request('DELETE', '/signing-auth/tenants/nobody/connect-sessions')).status).toBe(204);
  });

  it('cleans up: sessions expired over an hour ago are deleted when the next session is created', async () => {
    const old = await createSession();
    await sql(
      `UPDATE "signing_auth_connect_sessions" SET "expires_at" = now() - interval '61 minutes' WHERE "token_hash" = $1`,
      [sha256(old)],
    );
    const recent = await createSession();
    await sql(
      `UPDATE "signing_auth_connect_sessions" SET "expires_at" = now() - interval '59 minutes' WHERE "token_hash" = $1`,
      [sha256(recent)],
    );
    await createSession();
    const left = await sql(
      `SELECT "token_hash" FROM "signing_auth_connect_sessions" WHERE "token_hash" = ANY($1)`,
      [[sha256(old), sha256(recent)]],
    );
    expect(left.map((r: { token_hash: string }) => r.token_hash)).toEqual([sha256(recent)]);
    // The purged one is now simply unknown.
    expect((await as(old).request('GET', '/signing-auth/connect-session')).status).toBe(401);
  });

  it('validates the options: 400 naming providers, expiresInSeconds, returnUrl (listed origins only), allowDelete', async () => {
    const post = (body: unknown) =>
      admin.request('POST', '/signing-auth/tenants/acme/connect-sessions', { body });
    const fields = (res: AdminResponse) => {
      expect(res.status).toBe(400);
      return ((res.json as { errors: Array<{ field: string }> }).errors ?? []).map((e) => e.field);
    };
    expect(fields(await post({ providers: ['nosuch'] }))).toEqual(['providers']);
    expect(fields(await post({ providers: [] }))).toEqual(['providers']);
    expect(fields(await post({ providers: 'docusign' }))).toEqual(['providers']);
    for (const expiresInSeconds of [59, 86_401, 90.5, '600', 0, -1])
      expect(fields(await post({ expiresInSeconds }))).toEqual(['expiresInSeconds']);
    for (const returnUrl of [
      'https://evil.example.com/back',
      'https://app.example.com.evil.example/back',
      'http://app.example.com/back', // another scheme is another origin
      'https://app.example.com:8443/back',
      'https://user:pw@app.example.com/back',
      'javascript:alert(1)',
      '//app.example.com/back',
      '/relative',
      `https://app.example.com/${'a'.repeat(2100)}`,
      42,
    ]) {
      const res = await post({ returnUrl });
      expect({ returnUrl, fields: fields(res) }).toEqual({ returnUrl, fields: ['returnUrl'] });
      expect(res.text).not.toContain('evil');
    }
    expect(fields(await post({ allowDelete: 'yes' }))).toEqual(['allowDelete']);
    expect(fields(await post({ tenantId: 'other' }))).toEqual(['tenantId']);
    expect(fields(await post({ providers: ['nosuch'], expiresInSeconds: 1, returnUrl: 'x' })).sort()).toEqual(
      ['expiresInSeconds', 'providers', 'returnUrl'],
    );
    for (const returnUrl of [`${RETURN_ORIGIN}/settings#done`, 'http://localhost:5173/cb'])
      expect((await post({ returnUrl })).status).toBe(201);
    expect((await post({ expiresInSeconds: 86_400 })).status).toBe(201);
    expect((await post(undefined)).status).toBe(201);
    await expect(
      replicaA.get(ConnectSessionsService).create('acme', { returnUrl: 'https://evil.example' }),
    ).rejects.toThrow(/returnUrl: must be on one of the origins listed in connect.returnUrlOrigins/);
  });

  it('brings a session-started OAuth flow back to the Connect page with the outcome (no redirect URLs configured)', async () => {
    const token = await createSession({ providers: ['docusign'], returnUrl: `${RETURN_ORIGIN}/back` });
    const session = as(token);
    const connection = '/signing-auth/tenants/acme/connections/docusign';
    expect((await session.request('PUT', connection, { body: docusignBody })).status).toBe(200);
    const startFlow = async (client: AdminClient) => {
      const started = await client.request('POST', `${connection}/authorize`);
      expect(started.status).toBe(200);
      const approved = await fetch((started.json as { authorizationUrl: string }).authorizationUrl, {
        redirect: 'manual',
      });
      const callback = new URL(approved.headers.get('location')!);
      return `${callback.pathname}${callback.search}`;
    };
    const page = `${publicUrl}/signing-auth/connect/`;

    const eventsBefore = events.length;
    const done = await fetch(`${publicUrl}${await startFlow(session)}`, { redirect: 'manual' });
    expect(done.status).toBe(302);
    const success = new URL(done.headers.get('location')!);
    expect(`${success.origin}${success.pathname}`).toBe(page);
    expect(Object.fromEntries(success.searchParams)).toEqual({
      tenantId: 'acme',
      provider: 'docusign',
      status: 'active',
    });
    expect(events.slice(eventsBefore).find((e) => e.name === 'connect_session.connected')?.payload).toEqual({
      sessionId: expect.any(String),
      tenantId: 'acme',
      provider: 'docusign',
      status: 'active',
      via: 'authorization',
    });

    // The user declines: back to the page with the provider's error.
    docusign.denyAuthorizations(true);
    try {
      const denied = await fetch(`${publicUrl}${await startFlow(session)}`, { redirect: 'manual' });
      expect(denied.status).toBe(302);
      const failure = new URL(denied.headers.get('location')!);
      expect(`${failure.origin}${failure.pathname}`).toBe(page);
      expect(failure.searchParams.get('tenantId')).toBe('acme');
      expect(failure.searchParams.get('provider')).toBe('docusign');
      expect(failure.searchParams.get('error')).toBe('access_denied');
      expect(failure.searchParams.get('message')).toMatch(/access_denied/);
    } finally {
      docusign.denyAuthorizations(false);
    }

    // JSON callers still get JSON; an admin-started flow on this app (no redirect URLs) answers JSON as before.
    const json = await session.request('GET', await startFlow(session), {
      authorization: null,
      accept: 'application/json',
    });
    expect(json.status).toBe(200);
    expect(json.json).toMatchObject({ tenantId: 'acme', provider: 'docusign', status: 'active' });
    const byAdmin = await fetch(`${publicUrl}${await startFlow(admin)}`, { redirect: 'manual' });
    expect(byAdmin.status).toBe(200);
    expect(await byAdmin.json()).toMatchObject({ status: 'active' });
  });

  it('never lets a token out: not in pg_dump of the schema, log lines or events; only its SHA-256 is stored', async () => {
    expect(issued.length).toBeGreaterThan(10);
    // pg_dump of the whole schema on a real server; on the embedded database, every row of the table as text.
    const dump =
      db.kind === 'postgres'
        ? execFileSync('pg_dump', ['--dbname', process.env.DATABASE_URL!, '--schema', db.schema!], {
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          })
        : [
            'signing_auth_connect_sessions',
            ...(await sql(`SELECT t::text AS "line" FROM "signing_auth_connect_sessions" t`)).map(
              (r: { line: string }) => r.line,
            ),
          ].join('\n');
    expect(dump).toContain('signing_auth_connect_sessions');
    const secretPart = (token: string) => token.slice('sa_cs_'.length);
    for (const token of issued) {
      expect(dump).not.toContain(secretPart(token));
    }
    // The rows are there, as hashes (the purged ones excepted).
    expect(issued.filter((token) => dump.includes(sha256(token))).length).toBeGreaterThan(10);

    expect(logger.lines.length).toBeGreaterThan(0);
    const logs = logger.lines.join('\n');
    const published = JSON.stringify(events);
    expect(events.map((e) => e.name)).toContain('connect_session.created');
    for (const token of issued) {
      expect(logs).not.toContain(secretPart(token));
      expect(published).not.toContain(secretPart(token));
    }
  });

  it('OpenAPI says which routes a session may use (x-connect-session), documents the 403s and the new routes', () => {
    const doc = createOpenApiDocument(replicaA);
    const op = (path: string, method: string) =>
      (doc.paths[`/signing-auth${path}`] as Record<string, Record<string, unknown>>)[method];
    const level = (path: string, method: string) => op(path, method)['x-connect-session'];
    const c = '/tenants/{tenantId}/connections';
    expect({
      list: level(c, 'get'),
      read: level(`${c}/{provider}`, 'get'),
      put: level(`${c}/{provider}`, 'put'),
      del: level(`${c}/{provider}`, 'delete'),
      refresh: level(`${c}/{provider}/refresh`, 'post'),
      authorize: level(`${c}/{provider}/authorize`, 'post'),
      providers: level('/providers', 'get'),
      describe: level('/connect-session', 'get'),
      create: level('/tenants/{tenantId}/connect-sessions', 'post'),
      revoke: level('/tenants/{tenantId}/connect-sessions', 'delete'),
      docspring: level('/tenants/{tenantId}/docspring/data-requests/{dataRequestId}/tokens', 'post'),
    }).toEqual({
      list: 'read',
      read: 'read',
      put: 'write',
      del: 'delete',
      refresh: 'write',
      authorize: 'write',
      providers: 'read',
      describe: 'read',
      create: undefined,
      revoke: undefined,
      docspring: undefined,
    });
    const responses = (path: string, method: string) => op(path, method).responses as Record<string, unknown>;
    expect(Object.keys(responses('/tenants/{tenantId}/connect-sessions', 'post'))).toEqual(
      expect.arrayContaining(['201', '400', '401', '403']),
    );
    expect(Object.keys(responses(`${c}/{provider}`, 'delete'))).toEqual(
      expect.arrayContaining(['204', '401', '403']),
    );
    expect(Object.keys(responses('/connect-session', 'get'))).toEqual(
      expect.arrayContaining(['200', '401', '403']),
    );
  });
});
