import type { LoggerService } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  InvalidEncryptionKeysError,
  SigningAuthHealthIndicator,
  SigningAuthModule,
  type EncryptionKey,
} from 'signing-auth';
import type { DocuSignEmulator } from '../emulators/index.js';
import {
  bootApp,
  docusignAt,
  seedConnections,
  startLifecycleEmulator,
} from '../lifecycle/lifecycle-fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

/** Keys at boot: stored values under a key id the keyring lacks are one warning, a health detail, or a refusal. */
describe('keys at boot', () => {
  let db: TestDatabase;
  let emu: DocuSignEmulator;
  const old = newKey('k0');
  const current = newKey('k1');

  class Captured implements LoggerService {
    warnings: string[] = [];
    log() {}
    error() {}
    warn(message: unknown) {
      this.warnings.push(String(message));
    }
  }

  async function boot(keys: EncryptionKey[], extra: { requireKeysForStoredValues?: boolean } = {}) {
    const logger = new Captured();
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(db.options),
        SigningAuthModule.forRoot({
          encryptionKeys: keys,
          ...docusignAt(emu),
          sweep: { enabled: false },
          ...extra,
        }),
      ],
    })
      .setLogger(logger)
      .compile();
    let app: TestingModule | undefined = moduleRef;
    try {
      await moduleRef.init();
    } catch (error) {
      await moduleRef.close().catch(() => undefined);
      app = undefined;
      return { app, logger, error: error as Error };
    }
    return { app, logger, error: undefined };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    emu = await startLifecycleEmulator();
    // 3 connections written under k0 (3 values each), 2 under k1.
    const underOld = await bootApp(db, old, docusignAt(emu));
    await seedConnections(underOld.app, emu, { prefix: 'old', count: 3, now: new Date() });
    await underOld.app.close();
    const underCurrent = await bootApp(db, current, docusignAt(emu));
    await seedConnections(underCurrent.app, emu, { prefix: 'cur', count: 2, now: new Date() });
    await underCurrent.app.close();
  });

  afterAll(async () => {
    await emu?.close();
    await db?.close();
  });

  it('a key id missing from the keyring is one warning with the counts, and shows in the health details', async () => {
    const { app, logger, error } = await boot([current]);
    expect(error).toBeUndefined();
    try {
      const missing = logger.warnings.filter((w) => w.includes('"k0"'));
      expect(missing).toHaveLength(1);
      expect(missing[0]).toContain('"k0": 9 values (signing_auth_connections 9)');
      expect(missing[0]).toContain('requireKeysForStoredValues');
      expect(missing[0]).not.toContain(old.key as string);
      const health = await app!.get(SigningAuthHealthIndicator).isHealthy('signingAuth');
      expect(health.signingAuth).toMatchObject({ status: 'up', database: 'up', missingKeys: { k0: 9 } });
    } finally {
      await app!.close();
    }
  });

  it('requireKeysForStoredValues: true refuses to start, naming the key id and the counts', async () => {
    const { app, error } = await boot([current], { requireKeysForStoredValues: true });
    expect(app).toBeUndefined();
    expect(error).toBeInstanceOf(InvalidEncryptionKeysError);
    expect(error!.message).toContain('"k0": 9 values');
  });

  it('with every key present: no warning, no health detail, and the strict option starts', async () => {
    const { app, logger, error } = await boot([current, old], { requireKeysForStoredValues: true });
    expect(error).toBeUndefined();
    try {
      expect(logger.warnings.filter((w) => /key ids?/i.test(w))).toEqual([]);
      const health = await app!.get(SigningAuthHealthIndicator).isHealthy('signingAuth');
      expect(health.signingAuth).not.toHaveProperty('missingKeys');
    } finally {
      await app!.close();
    }
  });
});
