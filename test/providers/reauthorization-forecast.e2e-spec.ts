import { randomUUID } from 'node:crypto';
import {
  AuthorizationFlowService,
  ConnectionsService,
  ConnectionValidationError,
  SigningAuthEvent,
  type SigningAuthObserver,
} from 'signing-auth';
import { RefreshSweepService } from '../../libs/signing-auth/src/refresh/refresh-sweep.service.js';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import { bootApp } from '../lifecycle/lifecycle-fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import type { TestingModule } from '@nestjs/testing';

const CALLBACK = 'http://localhost:3000/signing-auth/oauth/docusign/callback';
const IK = randomUUID();
const DAY = 86_400_000;

/**
 * DocuSign without `extended` keeps the first refresh token's end through every
 * refresh. Saving such a connection needs an explicit acceptance; the view then says `reauthorizeBy`, and
 * the sweep emits `connection.reauthorization_due` once, N days before (default 7).
 */
describe('re-consent forecast for fixed-end refresh tokens', () => {
  let emu: DocuSignEmulator;
  let db: TestDatabase;
  let app: TestingModule;
  let offset = 0;
  const events: { name: string; payload: Record<string, unknown> }[] = [];
  const observer: SigningAuthObserver = { onEvent: (name, payload) => events.push({ name, payload }) };

  beforeAll(async () => {
    emu = await startDocuSignEmulator({
      clients: [{ clientId: IK, secret: 'ds-secret', redirectUris: [CALLBACK] }],
      users: [{ sub: randomUUID() }],
    });
    db = await createTestDatabase();
    ({ app } = await bootApp(db, newKey('k1'), {
      hosts: { docusignOAuthUrl: emu.url },
      observer,
      clock: () => new Date(Date.now() + offset),
    }));
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await emu?.close();
  });

  const config = (extra: Record<string, unknown>) => ({
    config: { environment: 'demo', integrationKey: IK, grant: 'authorization_code', ...extra },
    secrets: { secretKey: 'ds-secret' },
  });

  it('refuses a code grant without `extended` unless the fixed lifetime is accepted (400 naming config.scopes)', async () => {
    const connections = app.get(ConnectionsService);
    const error = await connections
      .upsert('acme', 'docusign', config({ scopes: ['signature'] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionValidationError);
    expect((error as ConnectionValidationError).field).toBe('config.scopes');
    expect((error as Error).message).toMatch(/extended/);
    const view = await connections.upsert(
      'acme',
      'docusign',
      config({ scopes: ['signature'], acceptFixedRefreshTokenLifetime: true }),
    );
    expect(view.status).toBe('pending');
  });

  it('shows reauthorizeBy and emits connection.reauthorization_due once, 7 days before', async () => {
    const flow = app.get(AuthorizationFlowService);
    const { authorizationUrl } = await flow.start('acme', 'docusign');
    const back = new URL(
      (await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location') ?? '',
    );
    const view = await flow.complete('docusign', Object.fromEntries(back.searchParams));
    expect(view.reauthorizeBy).toEqual(view.refreshTokenExpiresAt);
    const reauthorizeBy = Date.parse(view.reauthorizeBy!);
    expect(reauthorizeBy - Date.now()).toBeGreaterThan(29 * DAY);

    // An `extended` connection has no forecast.
    const extended = await app.get(ConnectionsService).upsert('globex', 'docusign', config({}));
    expect(extended.reauthorizeBy).toBeNull();

    const sweep = app.get(RefreshSweepService);
    const due = () => events.filter((e) => e.name === SigningAuthEvent.ReauthorizationDue);
    offset = reauthorizeBy - Date.now() - 8 * DAY;
    expect((await sweep.run()).reauthorizationNotices).toBe(0);
    // A second under 6 days left (exactly 6 days would read 6 when the sweep runs within the same millisecond).
    offset = reauthorizeBy - Date.now() - 6 * DAY + 1000;
    expect((await sweep.run()).reauthorizationNotices).toBe(1);
    expect(due()).toEqual([
      {
        name: 'connection.reauthorization_due',
        payload: { tenantId: 'acme', provider: 'docusign', reauthorizeBy: view.reauthorizeBy, daysLeft: 5 },
      },
    ]);
    expect((await sweep.run()).reauthorizationNotices).toBe(0); // once per expiry
  });
});
