import { execFileSync } from 'node:child_process';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  ConnectionNotFoundError,
  ConnectionValidationError,
  ConnectionsService,
  KeyRotationService,
  SecretDecryptionError,
  SigningAuthModule,
  UnknownProviderError,
  type EncryptionKey,
} from 'signing-auth';
import { ConnectionRepository } from '../../libs/signing-auth/src/connections/connection.repository.js';
import { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import { StaticTokenStrategy } from '../support/fake-strategy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

async function boot(db: TestDatabase, keys: EncryptionKey[]): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot(db.options),
      SigningAuthModule.forRoot({ encryptionKeys: keys, strategies: [new StaticTokenStrategy()] }),
    ],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('encrypted connection store', () => {
  let db: TestDatabase;
  let app: TestingModule;
  let service: ConnectionsService;
  let dataSource: DataSource;
  const k1 = newKey('k1');

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await boot(db, [k1]);
    service = app.get(ConnectionsService);
    dataSource = app.get(getDataSourceToken());
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('creates, reads, lists, replaces and deletes connections per tenant', async () => {
    const created = await service.upsert('tenant-a', 'static-test', {
      config: { clientId: 'client-a' },
      secrets: { clientSecret: 'secret-a' },
    });
    expect(created).toMatchObject({
      tenantId: 'tenant-a',
      provider: 'static-test',
      status: 'active',
      failureCount: 0,
    });
    expect(JSON.stringify(created)).not.toContain('secret-a');

    await service.upsert('tenant-b', 'static-test', {
      config: { clientId: 'client-b' },
      secrets: { clientSecret: 'b' },
    });
    expect((await service.list('tenant-a')).map((c) => c.config.clientId)).toEqual(['client-a']);

    const replaced = await service.upsert('tenant-a', 'static-test', {
      config: { clientId: 'client-a2' },
      secrets: { clientSecret: 'secret-a2' },
    });
    expect(replaced.config.clientId).toBe('client-a2');
    expect(await service.list('tenant-a')).toHaveLength(1);

    await service.delete('tenant-a', 'static-test');
    await expect(service.get('tenant-a', 'static-test')).rejects.toBeInstanceOf(ConnectionNotFoundError);
    await expect(service.delete('tenant-a', 'static-test')).rejects.toBeInstanceOf(ConnectionNotFoundError);
    expect(await service.list('tenant-b')).toHaveLength(1);
  });

  it('rejects bad input with an error that names the field, and stores nothing', async () => {
    await expect(
      service.upsert('tenant-v', 'static-test', { config: {}, secrets: { clientSecret: 'x' } }),
    ).rejects.toMatchObject({ name: 'ConnectionValidationError', field: 'config.clientId' });
    await expect(
      service.upsert('bad tenant id!', 'static-test', {
        config: { clientId: 'c' },
        secrets: { clientSecret: 'x' },
      }),
    ).rejects.toBeInstanceOf(ConnectionValidationError);
    await expect(service.upsert('tenant-v', 'nope', { config: {}, secrets: {} })).rejects.toBeInstanceOf(
      UnknownProviderError,
    );
    expect(await service.list('tenant-v')).toEqual([]);
  });

  it('keeps no secret in plaintext anywhere in the database', async () => {
    const canaries = ['CANARY-client-secret-5f1e', 'CANARY-access-token-77ab', 'CANARY-refresh-token-90cd'];
    await service.upsert('tenant-canary', 'static-test', {
      config: { clientId: 'client-canary' },
      secrets: { clientSecret: canaries[0] },
    });
    // Store a grant the way the token lifecycle does: through the connection cipher.
    const cipher = app.get(ConnectionCipher);
    await dataSource.query(
      `UPDATE signing_auth_connections SET access_token_ciphertext = $1, refresh_token_ciphertext = $2
        WHERE tenant_id = 'tenant-canary'`,
      [
        cipher.encrypt('tenant-canary', 'static-test', 'accessTokenCiphertext', canaries[1]),
        cipher.encrypt('tenant-canary', 'static-test', 'refreshTokenCiphertext', canaries[2]),
      ],
    );
    const dump = await dumpDatabase(db, dataSource);
    expect(dump).toContain('client-canary'); // the dump is real: non-secret config is in it
    for (const canary of canaries) expect(dump).not.toContain(canary);
    const decrypted = app
      .get(ConnectionCipher)
      .decryptRow((await app.get(ConnectionRepository).findOne('tenant-canary', 'static-test'))!);
    expect([decrypted.secrets.clientSecret, decrypted.accessToken, decrypted.refreshToken]).toEqual(canaries);
  });

  it('refuses a ciphertext moved onto another row with a typed error naming tenant, provider and key', async () => {
    await service.upsert('victim', 'static-test', {
      config: { clientId: 'v' },
      secrets: { clientSecret: 'victim-secret' },
    });
    await service.upsert('attacker', 'static-test', {
      config: { clientId: 'a' },
      secrets: { clientSecret: 'attacker-secret' },
    });
    await dataSource.query(
      `UPDATE signing_auth_connections SET secrets_ciphertext =
         (SELECT secrets_ciphertext FROM signing_auth_connections WHERE tenant_id = 'victim')
       WHERE tenant_id = 'attacker'`,
    );
    const row = await app.get(ConnectionRepository).findOne('attacker', 'static-test');
    let error: unknown;
    try {
      app.get(ConnectionCipher).decryptRow(row!);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect(error).toMatchObject({
      tenantId: 'attacker',
      provider: 'static-test',
      keyId: 'k1',
      field: 'secrets',
    });
    expect((error as Error).message).not.toContain('victim-secret');
  });

  it('rotates 10,000 rows to a new key online; every value still decrypts, concurrent writes survive', async () => {
    const rows = 10_000;
    const cipher = app.get(ConnectionCipher);
    const batch = 500;
    for (let start = 0; start < rows; start += batch) {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let i = start; i < Math.min(rows, start + batch); i++) {
        const tenant = `rot-${i}`;
        const p = values.length;
        tuples.push(
          `(gen_random_uuid(), $${p + 1}, 'static-test', 'active', 'client_credentials', '{"clientId":"c"}'::jsonb, $${p + 2}, $${p + 3})`,
        );
        values.push(
          tenant,
          cipher.encryptSecrets(tenant, 'static-test', { clientSecret: `secret-${i}` }),
          cipher.encrypt(tenant, 'static-test', 'accessTokenCiphertext', `access-${i}`),
        );
      }
      await dataSource.query(
        `INSERT INTO signing_auth_connections (id, tenant_id, provider, status, grant_type, config, secrets_ciphertext, access_token_ciphertext)
         VALUES ${tuples.join(', ')}`,
        values,
      );
    }

    // The same database, now served by an app whose active key is k2 (k1 kept for decryption).
    const k2 = newKey('k2');
    const rotatedApp = await boot(db, [k2, k1]);
    try {
      const rotation = rotatedApp.get(KeyRotationService);
      const rotatedCipher = rotatedApp.get(ConnectionCipher);
      // A writer working while rotation runs (as the token refresher would): its values must survive.
      const writer = (async () => {
        for (let i = 0; i < 200; i++) {
          const tenant = `rot-${i * 37}`;
          await dataSource.query(
            `UPDATE signing_auth_connections SET access_token_ciphertext = $1 WHERE tenant_id = $2`,
            [
              rotatedCipher.encrypt(tenant, 'static-test', 'accessTokenCiphertext', `new-access-${i * 37}`),
              tenant,
            ],
          );
        }
      })();
      const [report] = await Promise.all([rotation.rotate({ batchSize: 1000 }), writer]);
      expect(report.activeKeyId).toBe('k2');
      expect(report.rowsScanned).toBeGreaterThanOrEqual(rows);
      // The row whose ciphertext was moved by the previous test is reported, not silently skipped or fatal.
      expect(report.failures).toEqual([
        expect.objectContaining({ tenantId: 'attacker', field: 'secrets', reason: 'authentication_failed' }),
      ]);

      // Re-running after completion (or after a crash) finds nothing left to do.
      expect((await rotation.rotate()).valuesReencrypted).toBe(0);

      const [{ remaining }] = await dataSource.query(
        `SELECT count(*)::int AS remaining FROM signing_auth_connections
          WHERE tenant_id <> 'attacker' AND (secrets_ciphertext LIKE 'sa1.k1.%' OR access_token_ciphertext LIKE 'sa1.k1.%')`,
      );
      expect(remaining).toBe(0);
    } finally {
      await rotatedApp.close();
    }

    // Only k2 now: every row must decrypt, with the writer's values intact.
    const onlyK2 = await boot(db, [newKeyLike('k2', rotatedKeyOf(k2))]);
    try {
      const repo = onlyK2.get(ConnectionRepository);
      const c = onlyK2.get(ConnectionCipher);
      const all = (await repo.repo().find()).filter((r) => r.tenantId.startsWith('rot-'));
      expect(all).toHaveLength(rows);
      for (const row of all) {
        const i = Number(row.tenantId.slice(4));
        const decrypted = c.decryptRow(row);
        expect(decrypted.secrets.clientSecret).toBe(`secret-${i}`);
        const rewritten = i % 37 === 0 && i / 37 < 200;
        expect(decrypted.accessToken).toBe(rewritten ? `new-access-${i}` : `access-${i}`);
      }
    } finally {
      await onlyK2.close();
    }
  }, 180_000);
});

function rotatedKeyOf(key: EncryptionKey): string {
  return typeof key.key === 'string' ? key.key : key.key.toString('base64');
}

function newKeyLike(id: string, key: string): EncryptionKey {
  return { id, key };
}

/** pg_dump against a real server; on the embedded database, every row of every table as text. */
async function dumpDatabase(db: TestDatabase, dataSource: DataSource): Promise<string> {
  if (db.kind === 'postgres') {
    return execFileSync(
      'pg_dump',
      ['--dbname', process.env.DATABASE_URL!, '--schema', db.schema!, '--data-only'],
      {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
      },
    );
  }
  const parts: string[] = [];
  for (const table of ['signing_auth_connections', 'signing_auth_pending_authorizations']) {
    const rows = await dataSource.query(`SELECT t::text AS line FROM ${table} t`);
    parts.push(...rows.map((r: { line: string }) => r.line));
  }
  return parts.join('\n');
}
