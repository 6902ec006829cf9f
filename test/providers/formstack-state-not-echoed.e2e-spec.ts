import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  AuthorizationFlowService,
  AuthorizationStateError,
  ConnectionsService,
  SigningAuthModule,
} from 'signing-auth';
import { startFormstackSignEmulator, type FormstackSignEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

const PUBLIC_URL = 'http://127.0.0.1:3999';
const CALLBACK = `${PUBLIC_URL}/signing-auth/oauth/formstack-sign/callback`;

/**
 * Formstack Sign does not document echoing `state` (providers.md §2.2). Run against an
 * emulator that drops it, the callback must fail with a message that says what the provider did.
 */
describe('Formstack Sign callback without the state', () => {
  let emu: FormstackSignEmulator;
  let db: TestDatabase;
  let app: TestingModule;

  beforeAll(async () => {
    emu = await startFormstackSignEmulator({
      echoState: false,
      clients: [{ clientId: 'fs-client', secret: 'fs+secret/=%', redirectUris: [CALLBACK] }],
    });
    db = await createTestDatabase();
    app = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        SigningAuthModule.forRoot({
          encryptionKeys: [newKey('k1')],
          publicUrl: PUBLIC_URL,
          hosts: { formstackAuthUrl: emu.url },
          sweep: { enabled: false },
        }),
      ],
    }).compile();
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await emu?.close();
  });

  it('fails saying the provider came back with a code but without the state; stores nothing', async () => {
    await app.get(ConnectionsService).upsert('acme', 'formstack-sign', {
      config: { clientId: 'fs-client', grant: 'authorization_code' },
      secrets: { clientSecret: 'fs+secret/=%' },
    });
    const flow = app.get(AuthorizationFlowService);
    const { authorizationUrl } = await flow.start('acme', 'formstack-sign');
    const back = new URL(
      (await fetch(authorizationUrl, { redirect: 'manual' })).headers.get('location') ?? '',
    );
    expect(back.searchParams.get('code')).toEqual(expect.any(String));
    expect(back.searchParams.get('state')).toBeNull();
    const error = await flow
      .complete('formstack-sign', Object.fromEntries(back.searchParams))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationStateError);
    expect(error).toMatchObject({ reason: 'missing' });
    expect((error as Error).message).toMatch(/redirected back with a code but without the state/);
    expect((await app.get(ConnectionsService).get('acme', 'formstack-sign')).status).toBe('pending');
  });
});
