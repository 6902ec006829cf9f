import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  AuthorizationFlowService,
  ConnectionsService,
  SIGNING_AUTH_MIGRATIONS,
  SigningAuthModule,
  SigningAuthReauthRequiredError,
  TokenService,
} from 'signing-auth';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { DATABASE_URL, createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { rsaKeyPair } from './strategy-test-kit.js';

const PUBLIC_URL = 'http://127.0.0.1:3999';
const CALLBACK = `${PUBLIC_URL}/signing-auth/oauth/docusign/callback`;
const IK = randomUUID();
const run = promisify(execFile);

/**
 * Decision 025: a DocuSign consent link carries a live OAuth state. It was kept in the clear in
 * `metadata.consentUrl` (7 days, not bound to a browser), and every `consent_required` minted another.
 * Now the database holds the state only as its SHA-256 and the link sealed like every other secret, and a
 * connection has at most one live consent link.
 */
const describeWithServer = DATABASE_URL ? describe : describe.skip;
describeWithServer('DocuSign consent links at rest', () => {
  const keys = rsaKeyPair('pkcs1');
  let db: TestDatabase;
  let app: TestingModule;
  let emu: DocuSignEmulator;
  let tokens: TokenService;
  let connections: ConnectionsService;
  let flow: AuthorizationFlowService;

  beforeAll(async () => {
    emu = await startDocuSignEmulator({
      clients: [{ clientId: IK, publicKey: keys.publicKey, redirectUris: [CALLBACK] }],
    });
    db = await createTestDatabase();
    app = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        SigningAuthModule.forRoot({
          encryptionKeys: [newKey('k1')],
          publicUrl: PUBLIC_URL,
          hosts: { docusignOAuthUrl: emu.url },
          sweep: { enabled: false },
        }),
      ],
    }).compile();
    await app.init();
    tokens = app.get(TokenService);
    connections = app.get(ConnectionsService);
    flow = app.get(AuthorizationFlowService);
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await emu?.close();
  });

  async function jwtConnection(tenantId: string): Promise<void> {
    const user = randomUUID();
    emu.addUser({ sub: user, email: `${tenantId}@example.test`, accounts: [{ account_id: randomUUID() }] });
    emu.setApprovingUser(user); // the user who logs in at DocuSign when a link is followed
    await connections.upsert(tenantId, 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: user },
      secrets: { privateKey: keys.privateKey },
    });
  }

  async function consentUrlOf(tenantId: string): Promise<URL> {
    const error = await tokens.getAccessToken(tenantId, 'docusign').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningAuthReauthRequiredError);
    const url = (error as SigningAuthReauthRequiredError).consentUrl ?? '';
    // The admin view still shows the link (opened from its sealed copy).
    expect((await connections.get(tenantId, 'docusign')).metadata.consentUrl).toBe(url);
    return new URL(url);
  }

  /** The browser leg: DocuSign's 302 back to our callback. */
  async function follow(url: URL): Promise<Record<string, string>> {
    const res = await fetch(url, { redirect: 'manual' });
    return Object.fromEntries(new URL(res.headers.get('location') ?? '').searchParams);
  }

  async function dump(): Promise<string> {
    const { stdout } = await run('pg_dump', ['--data-only', '--schema', db.schema!, DATABASE_URL!], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  it('a dump of the schema holds neither the raw state nor the link, only the state hash', async () => {
    await jwtConnection('dumped');
    const url = await consentUrlOf('dumped');
    const state = url.searchParams.get('state')!;
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const text = await dump();
    expect(text).toContain(createHash('sha256').update(state).digest('hex')); // the dump is of the right rows
    expect(text).not.toContain(state);
    expect(text).not.toContain(url.toString());
    expect(text).not.toContain(`${emu.url}/oauth/auth`);
    // The sealed link still completes the flow through the callback.
    expect((await flow.complete('docusign', await follow(url))).status).toBe('active');
  });

  it('at most one live consent link per connection: a new one replaces the old', async () => {
    await jwtConnection('twice');
    const first = await consentUrlOf('twice');
    // Another consent_required (an admin's "refresh now") hands out a new link …
    const again = await tokens.refreshNow('twice', 'docusign').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SigningAuthReauthRequiredError);
    const second = new URL((again as SigningAuthReauthRequiredError).consentUrl ?? '');
    expect(second.searchParams.get('state')).not.toBe(first.searchParams.get('state'));
    const live = (await app.get<DataSource>(getDataSourceToken()).query(
      `SELECT count(*)::int AS n FROM signing_auth_pending_authorizations
         WHERE tenant_id = 'twice' AND kind = 'consent' AND consumed_at IS NULL AND expires_at > now()`,
    )) as { n: number }[];
    expect(live[0]!.n).toBe(1);
    // … and the old one no longer completes anything.
    const stale = await flow.complete('docusign', await follow(first)).catch((e: unknown) => e);
    expect(stale).toMatchObject({ name: 'AuthorizationStateError', reason: 'expired' });
    expect((await flow.complete('docusign', await follow(second))).status).toBe('active');
  });

  it('the upgrade drops links stored in the clear before, and ends their states', async () => {
    const dataSource = app.get<DataSource>(getDataSourceToken());
    await jwtConnection('legacy');
    const plain = 'https://account-d.docusign.com/oauth/auth?state=legacy-state-in-the-clear';
    await dataSource.query(
      `UPDATE signing_auth_connections SET metadata = metadata || $2::jsonb WHERE tenant_id = $1`,
      ['legacy', JSON.stringify({ consentUrl: plain, note: 'kept' })],
    );
    await dataSource.query(
      `INSERT INTO signing_auth_pending_authorizations
         (id, state_hash, tenant_id, provider, code_verifier_ciphertext, redirect_uri, expires_at, created_at, kind)
       VALUES ($1, $2, 'legacy', 'docusign', 'x', $3, now() + interval '7 days', now(), 'consent')`,
      [randomUUID(), createHash('sha256').update('legacy-state-in-the-clear').digest('hex'), CALLBACK],
    );
    const migration = SIGNING_AUTH_MIGRATIONS.find((m) => m.name === 'SealConsentLinks1766100000000')!;
    const runner = dataSource.createQueryRunner();
    try {
      await new migration().up(runner);
    } finally {
      await runner.release();
    }
    const [row] = (await dataSource.query(
      `SELECT metadata FROM signing_auth_connections WHERE tenant_id = 'legacy'`,
    )) as { metadata: Record<string, unknown> }[];
    expect(row!.metadata.consentUrl).toBeUndefined();
    expect(row!.metadata.note).toBe('kept');
    const callback = { code: 'c', state: 'legacy-state-in-the-clear' };
    await expect(flow.complete('docusign', callback)).rejects.toMatchObject({ reason: 'expired' });
  });
});
