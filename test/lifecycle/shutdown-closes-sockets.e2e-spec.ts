import type { TestingModule } from '@nestjs/testing';
import { TokenService } from 'signing-auth';
import type { DocuSignEmulator } from '../emulators/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { bootApp, docusignAt, seedConnections, startLifecycleEmulator } from './lifecycle-fixtures.js';

/**
 * Provider calls keep their sockets open for reuse (keep-alive). Closing the app must close them: a host
 * that closes the app to hand the port over, or a test runner, must not find the library's sockets still
 * open to the providers until the providers time them out (the emulator keeps idle ones 10 s).
 */
describe('shutdown closes the provider sockets', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let app: TestingModule | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
  });

  afterAll(async () => {
    await app?.close();
    await emu?.close();
    await db?.close();
  });

  it('keep-alive sockets to the provider are open after a refresh and closed by app.close()', async () => {
    ({ app } = await bootApp(db, newKey('k1'), docusignAt(emu)));
    const [tenant] = await seedConnections(app, emu, {
      prefix: 'sockets',
      count: 1,
      now: new Date(),
      accessExpired: true,
    });
    // seedConnections talks to the emulator with fetch (undici keeps its socket): wait those out first.
    const ownSockets = await emu.openConnections();
    await app.get(TokenService).getAccessToken(tenant, 'docusign');
    expect(await emu.openConnections()).toBeGreaterThan(ownSockets);

    await app.close();
    app = undefined;
    const deadline = Date.now() + 3_000;
    while ((await emu.openConnections()) > ownSockets && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await emu.openConnections()).toBeLessThanOrEqual(ownSockets);
  }, 30_000);
});
