import type { TestingModule } from '@nestjs/testing';
import { ConnectionNotFoundError, ConnectionsService, TokenService } from 'signing-auth';
import type { DataSource } from 'typeorm';
import { TokenChangeNotifier } from '../../libs/signing-auth/src/refresh/token-change.notifier.js';
import type { DocuSignEmulator } from '../emulators/index.js';
import { DATABASE_URL, createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';
import { bootApp, docusignAt, seedConnections, startLifecycleEmulator } from './lifecycle-fixtures.js';

/** LISTEN/NOTIFY needs a real server (the embedded database is one process by construction). */
const describeWithServer = DATABASE_URL ? describe : describe.skip;

async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describeWithServer('token cache after the change listener reconnects', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  let first: TestingModule;
  let other: TestingModule;
  let dataSource: DataSource;
  const key = newKey('k1');

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
    ({ app: first, dataSource } = await bootApp(db, key, docusignAt(emu)));
    ({ app: other } = await bootApp(db, key, docusignAt(emu)));
  });

  afterAll(async () => {
    await first?.close();
    await other?.close();
    await emu?.close();
    await db?.close();
  });

  it('a connection deleted while the listener was down is not served from the cache after it reconnects', async () => {
    const [tenant] = await seedConnections(first, emu, { prefix: 'gone', count: 1, now: new Date() });
    const tokens = first.get(TokenService);
    const cached = await tokens.getAccessToken(tenant, 'docusign');
    expect(emu.isAccessTokenValid(cached.accessToken)).toBe(true);

    const notifier = first.get(TokenChangeNotifier);
    const pid = notifier.listenerBackendPid;
    expect(pid).toEqual(expect.any(Number));
    await dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    await until('the listener noticed', () => !notifier.listening);

    // Another replica deletes the connection; its notification reaches nobody in the first replica.
    await other.get(ConnectionsService).delete(tenant, 'docusign');

    await until('the listener reconnected', () => notifier.listening);
    expect(notifier.listenerBackendPid).not.toBe(pid);
    await expect(tokens.getAccessToken(tenant, 'docusign')).rejects.toBeInstanceOf(ConnectionNotFoundError);
  });
});
