import { randomUUID } from 'node:crypto';
import { TokenService } from 'signing-auth';
import { ADMIN_TOKEN, startAdminApp, type AdminTestApp } from '../admin/admin-test-app.js';
import {
  startDocSpringEmulator,
  startDocuSignEmulator,
  startSignicatEmulator,
  type DocSpringEmulator,
  type DocuSignEmulator,
  type SignicatEmulator,
} from '../emulators/index.js';
import { rsaKeyPair } from './strategy-test-kit.js';

/** The admin API's JSON: a connection view or an error body. */
interface ViewBody {
  [key: string]: unknown;
  message?: string;
  lastError?: string;
  nextRefreshAt?: string;
  metadata?: { consentUrl?: string };
}

const SIGNICAT_SECRET = `sig+/=%-${randomUUID()}`;
const DSP_SECRET = `dsp-${randomUUID()}`;
const IK = randomUUID();
const USER = randomUUID();

/**
 * Decision 009: credentials that need no user are checked with the provider when saved, through the
 * admin API: refused → 422 naming the provider's reason, nothing new stored; outage → `error` with a retry,
 * 200; DocuSign consent_required → `needs_reauth` with metadata.consentUrl, 200.
 */
describe('verified on save (admin PUT)', () => {
  const keys = rsaKeyPair();
  let sig: SignicatEmulator;
  let dsp: DocSpringEmulator;
  let ds: DocuSignEmulator;
  let t: AdminTestApp;

  beforeAll(async () => {
    sig = await startSignicatEmulator({
      clients: [
        { clientId: 'sig-client', secret: SIGNICAT_SECRET, generation: 'express', scopes: ['document_read'] },
      ],
    });
    dsp = await startDocSpringEmulator({ apiTokens: [{ id: 'tok_1', secret: DSP_SECRET }] });
    ds = await startDocuSignEmulator({
      clients: [
        {
          clientId: IK,
          publicKey: keys.publicKey,
          redirectUris: ['http://localhost:3000/signing-auth/oauth/docusign/callback'],
        },
      ],
      users: [{ sub: USER }],
    });
    t = await startAdminApp({
      hosts: { signicatUrl: sig.url, docspringApiUrl: dsp.url, docusignOAuthUrl: ds.url },
      sweep: { enabled: false },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([sig?.close(), dsp?.close(), ds?.close()]);
  });

  const put = async (tenant: string, provider: string, body: unknown) => {
    const res = await fetch(`${t.baseUrl}/signing-auth/tenants/${tenant}/connections/${provider}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as ViewBody };
  };
  const signicat = (secret: string) => ({
    config: { clientId: 'sig-client', generation: 'express', scopes: ['document_read'] },
    secrets: { clientSecret: secret },
  });

  it('client credentials: accepted → active with the first token; refused → 422, the working ones stay', async () => {
    const ok = await put('acme', 'signicat', signicat(SIGNICAT_SECRET));
    expect(ok).toMatchObject({ status: 200, body: { status: 'active' } });
    expect(ok.body.accessTokenExpiresAt).toEqual(expect.any(String));
    const calls = sig.stats.tokenRequests;

    const refused = await put('acme', 'signicat', signicat('mistyped-secret'));
    expect(refused.status).toBe(422);
    expect(refused.body.message).toMatch(/signicat/);
    expect(refused.body.message).toMatch(/invalid_client/);
    expect(JSON.stringify(refused.body)).not.toContain('mistyped-secret');
    expect(sig.stats.tokenRequests).toBe(calls + 1);
    // Nothing new stored: the previous credentials still work.
    const token = await t.app.get(TokenService).getAccessToken('acme', 'signicat');
    expect(token.accessToken).toEqual(expect.any(String));
  });

  it('a scope the client may not request → 422 naming the scopes asked and the fix at the provider, not "credentials"', async () => {
    const refused = await put('scoped', 'signicat', {
      config: { clientId: 'sig-client', generation: 'express', scopes: ['document_read', 'identify'] },
      secrets: { clientSecret: SIGNICAT_SECRET },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toMatch(/signicat refused the scopes requested for tenant "scoped"/);
    expect(refused.body.message).toMatch(/scopes asked: document_read identify/);
    expect(refused.body.message).toMatch(/the client's configuration at signicat must allow them/);
    expect(refused.body.message).toMatch(/invalid_scope/);
    expect(refused.body.message).not.toMatch(/refused the (client )?credentials/);
  });

  it('a Signicat platform connection with a scope other than signicat-api → 400 naming config.scopes; nothing sent', async () => {
    const calls = sig.stats.tokenRequests;
    const refused = await put('plat', 'signicat', {
      config: { clientId: 'sig-client', generation: 'platform', scopes: ['document_read'] },
      secrets: { clientSecret: SIGNICAT_SECRET },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toMatch(/config\.scopes/);
    expect(JSON.stringify(refused.body)).toMatch(/always \\"signicat-api\\"/);
    expect(sig.stats.tokenRequests).toBe(calls);
  });

  it('outage → stored as error with a retry time, 200 with that view', async () => {
    sig.failNext({ status: 503, retryAfterSeconds: 120 });
    const res = await put('down', 'signicat', signicat(SIGNICAT_SECRET));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'error', failureCount: 1 });
    expect(res.body.lastError).toMatch(/503/);
    expect(Date.parse(res.body.nextRefreshAt ?? '') - Date.now()).toBeGreaterThanOrEqual(110_000);
  });

  it('DocSpring: GET /api/v1/authentication decides', async () => {
    const before = dsp.stats.authenticationRequests;
    const ok = await put('acme', 'docspring', {
      config: { region: 'us', tokenId: 'tok_1' },
      secrets: { tokenSecret: DSP_SECRET },
    });
    expect(ok).toMatchObject({ status: 200, body: { status: 'active' } });
    expect(dsp.stats.authenticationRequests).toBe(before + 1);
    const refused = await put('other', 'docspring', {
      config: { region: 'us', tokenId: 'tok_1' },
      secrets: { tokenSecret: 'wrong-secret' },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toMatch(/Invalid API token secret/);
    const missing = await fetch(`${t.baseUrl}/signing-auth/tenants/other/connections/docspring`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(missing.status).toBe(404); // nothing stored
  });

  it('DocuSign JWT: consent_required → needs_reauth with a consent link; a bad key → 422', async () => {
    const res = await put('acme', 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: USER },
      secrets: { privateKey: keys.privateKey },
    });
    expect(res).toMatchObject({ status: 200, body: { status: 'needs_reauth' } });
    expect(new URL(res.body.metadata?.consentUrl ?? '').searchParams.get('state')).toEqual(
      expect.any(String),
    );

    ds.grantConsent(IK, USER);
    const active = await put('acme', 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: USER },
      secrets: { privateKey: keys.privateKey },
    });
    expect(active).toMatchObject({ status: 200, body: { status: 'active', metadata: { userId: USER } } });

    const refused = await put('acme', 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: USER },
      secrets: { privateKey: rsaKeyPair().privateKey },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toMatch(/no_valid_keys_or_signatures/);
  });

  it('can be turned off for offline setups', async () => {
    const offline = await startAdminApp({
      verifyOnSave: false,
      hosts: { signicatUrl: 'http://127.0.0.1:1' },
    });
    try {
      const res = await fetch(`${offline.baseUrl}/signing-auth/tenants/acme/connections/signicat`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(signicat('any-secret')),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe('active');
    } finally {
      await offline.close();
    }
  });
});
