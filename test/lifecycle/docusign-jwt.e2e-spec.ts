import { randomUUID } from 'node:crypto';
import type { TestingModule } from '@nestjs/testing';
import { ConnectionsService, SigningAuthReauthRequiredError, TokenService } from 'signing-auth';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { rsaKeyPair } from '../providers/strategy-test-kit.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { bootApp } from './lifecycle-fixtures.js';

/**
 * A DocuSign JWT (service integration) connection is created with one PUT and never passes through the
 * connect flow: its first token must still record the account (userinfo), and a missing consent must
 * surface as needs_reauth with the consent URL, cleared once consent is given.
 */
describe('DocuSign JWT connection without the connect flow', () => {
  const IK = randomUUID();
  const USER = randomUUID();
  const ACCOUNT = randomUUID();
  const keys = rsaKeyPair('pkcs1');
  let emu: DocuSignEmulator;
  let db: TestDatabase;
  let app: TestingModule;

  beforeAll(async () => {
    emu = await startDocuSignEmulator({
      clients: [{ clientId: IK, publicKey: keys.publicKey, redirectUris: ['http://localhost:3000/cb'] }],
      users: [{ sub: USER, accounts: [{ account_id: ACCOUNT, is_default: true, account_name: 'Acme' }] }],
    });
    db = await createTestDatabase();
    ({ app } = await bootApp(db, newKey('k1'), { hosts: { docusignOAuthUrl: emu.url } }));
    await app.get(ConnectionsService).upsert('acme', 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'jwt', userId: USER },
      secrets: { privateKey: keys.privateKey },
    });
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
    await emu?.close();
  });

  it('reports missing consent as needs_reauth with the consent URL, then records the account once consented', async () => {
    const tokens = app.get(TokenService);
    const connections = app.get(ConnectionsService);

    const error = await tokens.getAccessToken('acme', 'docusign').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningAuthReauthRequiredError);
    expect((error as SigningAuthReauthRequiredError).consentUrl).toContain(`client_id=${IK}`);
    const blocked = await connections.get('acme', 'docusign');
    expect(blocked.status).toBe('needs_reauth');
    expect(blocked.metadata.consentUrl).toContain('/oauth/auth');

    emu.grantConsent(IK, USER);
    const view = await tokens.refreshNow('acme', 'docusign');
    expect(view.status).toBe('active');
    expect(view.metadata).toMatchObject({
      accountId: ACCOUNT,
      accountName: 'Acme',
      userId: USER,
      baseUri: emu.url,
    });
    expect(view.metadata.consentUrl).toBeUndefined();

    const token = await tokens.getAccessToken('acme', 'docusign');
    expect(emu.isAccessTokenValid(token.accessToken)).toBe(true);
    expect(token.metadata).toMatchObject({ accountId: ACCOUNT, baseUri: emu.url });
    const userinfoCalls = emu.stats.userinfoRequests;

    // Later tokens do not call userinfo again (DocuSign rate-limits it per user and integration key).
    await tokens.forceRefresh('acme', 'docusign', { rejectedAccessToken: token.accessToken });
    expect(emu.stats.userinfoRequests).toBe(userinfoCalls);
  });
});
