import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import {
  AuthorizationFlowService,
  ConnectionsService,
  SigningAuthAccountUnknownError,
  SigningAuthHttpService,
  TokenService,
} from 'signing-auth';
import { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import { ConnectionRepository } from '../../libs/signing-auth/src/connections/connection.repository.js';
import { RefreshSweepService } from '../../libs/signing-auth/src/refresh/refresh-sweep.service.js';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { startHttpTestApp, type HttpTestApp } from '../http/http-test-app.js';

const CALLBACK = 'http://localhost:3000/signing-auth/oauth/docusign/callback';
const IK = randomUUID();
const USER = randomUUID();
const ACCOUNT = randomUUID();
const MIN = 60_000;

/**
 * A userinfo failure right after the code exchange must not throw the new grant away.
 * The grant is stored first; the account follows (sweep, within minutes) and is checked again at most daily.
 */
describe('DocuSign connect keeps the grant when userinfo fails', () => {
  let emu: DocuSignEmulator;
  let t: HttpTestApp;
  let offsetMs = 0;
  const account = { tenantId: 'acme', provider: 'docusign', docusignAccountBase: true };

  beforeAll(async () => {
    emu = await startDocuSignEmulator({
      clients: [{ clientId: IK, secret: 'ds-secret', redirectUris: [CALLBACK] }],
      users: [{ sub: USER, accounts: [{ account_id: ACCOUNT, account_name: 'Acme' }] }],
    });
    t = await startHttpTestApp({
      hosts: { docusignOAuthUrl: emu.url },
      clock: () => new Date(Date.now() + offsetMs),
    });
  });
  afterAll(async () => {
    await t?.close();
    await emu?.close();
  });

  it('stores the grant, answers typed "account not yet known", then records the account from the sweep', async () => {
    const connections = t.app.get(ConnectionsService);
    const flow = t.app.get(AuthorizationFlowService);
    await connections.upsert('acme', 'docusign', {
      config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code' },
      secrets: { secretKey: 'ds-secret' },
    });
    const { authorizationUrl } = await flow.start('acme', 'docusign');
    const back = new URL(
      (await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location') ?? '',
    );
    // userinfo is down for every attempt the callback makes.
    emu.failNext({ status: 503 }, 10, (req) => req.path === '/oauth/userinfo');

    const view = await flow.complete('docusign', Object.fromEntries(back.searchParams));
    expect(view).toMatchObject({ status: 'active', metadata: { accountPending: true } });
    const row = (await t.app.get(ConnectionRepository).findOne('acme', 'docusign'))!;
    const stored = t.app.get(ConnectionCipher).decryptRow(row);
    expect(stored.refreshToken).toEqual(expect.any(String)); // the grant was not thrown away

    const error = await firstValueFrom(
      t.app.get(SigningAuthHttpService).get('/envelopes', { signingAuth: account }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningAuthAccountUnknownError);

    // userinfo is back; the sweep picks the connection up within minutes (not at the 8-hour token expiry).
    emu.clearFailures();
    offsetMs = 6 * MIN;
    await t.app.get(RefreshSweepService).run();
    const recovered = await connections.get('acme', 'docusign');
    expect(recovered.metadata).toMatchObject({ accountId: ACCOUNT, baseUri: emu.url });
    expect(recovered.metadata.accountPending).toBeUndefined();
    const res = await firstValueFrom(
      t.app.get(SigningAuthHttpService).get('/envelopes', { signingAuth: account }),
    );
    expect(res.status).toBe(200);
  });

  it('checks the account again at refresh time, at most once a day (an account that moves is followed)', async () => {
    const tokens = t.app.get(TokenService);
    const before = emu.stats.userinfoRequests;
    await tokens.refreshNow('acme', 'docusign');
    expect(emu.stats.userinfoRequests).toBe(before); // checked minutes ago

    const moved = 'http://127.0.0.1:1'; // the account moved to another base URI
    emu.addUser({ sub: USER, accounts: [{ account_id: ACCOUNT, account_name: 'Acme', base_uri: moved }] });
    offsetMs += 25 * 60 * MIN;
    emu.advance(25 * 60 * MIN);
    await tokens.refreshNow('acme', 'docusign');
    expect(emu.stats.userinfoRequests).toBe(before + 1);
    expect((await t.app.get(ConnectionsService).get('acme', 'docusign')).metadata.baseUri).toBe(moved);
  });
});
