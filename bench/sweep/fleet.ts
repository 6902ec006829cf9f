/**
 * The connections the sweep scenario refreshes: a PostgreSQL schema of its own (made by the library's
 * migrations, dropped at the end), `size` generic OAuth 2.0 connections with rotating refresh tokens seeded
 * once, and any first `n` of them marked due before a pass.
 *
 * Seeding is one multi-row INSERT per 1,000 rows. Rows cannot be copied in SQL from one made through the
 * API: every ciphertext is bound to its tenant, provider and column by AES-GCM associated data
 * (crypto/secret-cipher.ts), so a copied value fails authentication in another row. Instead each row's
 * three values are encrypted in this process with the library's own ConnectionCipher (internal, reached
 * the way the lifecycle tests reach it), about 10 µs each.
 */
import { randomBytes } from 'node:crypto';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { SIGNING_AUTH_ENTITIES, SIGNING_AUTH_MIGRATIONS, SigningAuthModule } from 'signing-auth';

const PROVIDER = 'oauth2';
const CLIENT_ID = 'sweep-bench';
const INSERT_CHUNK = 1_000;

interface ConnectionCipherLike {
  encrypt(tenantId: string, provider: string, column: string, plaintext: string): string;
  encryptSecrets(tenantId: string, provider: string, secrets: Record<string, string>): string;
}

/** The library's internal cipher class, from the built package the scenario imports. */
async function connectionCipherClass(): Promise<abstract new (...args: never[]) => ConnectionCipherLike> {
  const entry = import.meta.resolve('signing-auth');
  const internal = (await import(new URL('./connections/connection-cipher.js', entry).href)) as {
    ConnectionCipher: abstract new (...args: never[]) => ConnectionCipherLike;
  };
  return internal.ConnectionCipher;
}

export class Fleet {
  private constructor(
    private readonly app: INestApplicationContext,
    private readonly dataSource: DataSource,
    private readonly databaseUrl: string,
    readonly schema: string,
    /** `id:base64key`, for the replicas. */
    readonly encryptionKeys: string,
  ) {}

  static async create(databaseUrl: string): Promise<Fleet> {
    const schema = `bench_sweep_${randomBytes(4).toString('hex')}`;
    await adminQuery(databaseUrl, `CREATE SCHEMA "${schema}"`);
    const key = { id: 'bench', key: randomBytes(32).toString('base64') };
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: databaseUrl,
          schema,
          extra: { options: `-c search_path=${schema}` },
          entities: SIGNING_AUTH_ENTITIES,
          migrations: SIGNING_AUTH_MIGRATIONS,
          migrationsRun: true,
          logging: false,
        }),
        SigningAuthModule.forRoot({
          encryptionKeys: [key],
          developmentMode: true,
          sweep: { enabled: false },
        }),
      ],
    })
    class FleetModule {}
    const app = await NestFactory.createApplicationContext(FleetModule, { logger: ['error', 'warn'] }).catch(
      async (error: unknown) => {
        await adminQuery(databaseUrl, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        throw error;
      },
    );
    return new Fleet(
      app,
      app.get<DataSource>(getDataSourceToken()),
      databaseUrl,
      schema,
      `${key.id}:${key.key}`,
    );
  }

  static tenant(index: number): string {
    return `sweep-${String(index).padStart(6, '0')}`;
  }

  /**
   * `count` active authorization-code connections to the token endpoint at `tokenUrl`, each holding
   * refresh token generation 0 of its own lineage (its tenant id), none due yet.
   */
  async seed(count: number, tokenUrl: string): Promise<void> {
    const cipher = this.app.get(await connectionCipherClass());
    const config = JSON.stringify({
      tokenUrl,
      authorizationUrl: tokenUrl,
      clientId: CLIENT_ID,
      grant: 'authorization_code',
    });
    for (let start = 0; start < count; start += INSERT_CHUNK) {
      const values: unknown[] = [config];
      const tuples: string[] = [];
      for (let i = start; i < Math.min(count, start + INSERT_CHUNK); i++) {
        const tenant = Fleet.tenant(i);
        const p = values.length;
        values.push(
          tenant,
          cipher.encryptSecrets(tenant, PROVIDER, { clientSecret: 'sweep-bench-secret' }),
          cipher.encrypt(tenant, PROVIDER, 'accessTokenCiphertext', `at.${tenant}.0`),
          cipher.encrypt(tenant, PROVIDER, 'refreshTokenCiphertext', `rt.${tenant}.0`),
        );
        tuples.push(
          `(gen_random_uuid(), $${p + 1}, '${PROVIDER}', 'active', 'authorization_code', '[]'::jsonb, $1::jsonb,
            $${p + 2}, $${p + 3}, 'Bearer', $${p + 4}, now() + interval '1 hour', now(), now(), now() + interval '1 day', '{}'::jsonb)`,
        );
      }
      await this.dataSource.query(
        `INSERT INTO signing_auth_connections (id, tenant_id, provider, status, grant_type, scopes, config,
           secrets_ciphertext, access_token_ciphertext, token_type, refresh_token_ciphertext,
           access_token_expires_at, last_refreshed_at, last_used_at, next_refresh_at, metadata)
         VALUES ${tuples.join(', ')}`,
        values,
      );
    }
    await this.vacuum();
  }

  /**
   * Makes connections 0…n-1 due: in use, access token expiring in a minute (inside the 5-minute leeway),
   * so the sweep refreshes each of them. The others were either never due or were rescheduled an hour
   * ahead by an earlier pass.
   */
  async markDue(n: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE signing_auth_connections
          SET next_refresh_at = now() - interval '1 second', access_token_expires_at = now() + interval '1 minute',
              last_refreshed_at = now() - interval '59 minutes', last_used_at = now()
        WHERE tenant_id <= $1`,
      [Fleet.tenant(n - 1)],
    );
    await this.vacuum();
  }

  /** Among connections 0…n-1: still due after a pass, and not active. Both must be 0. */
  async leftBehind(n: number): Promise<{ stillDue: number; notActive: number }> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE next_refresh_at <= now())::int AS "stillDue",
              count(*) FILTER (WHERE status <> 'active')::int AS "notActive"
         FROM signing_auth_connections WHERE tenant_id <= $1`,
      [Fleet.tenant(n - 1)],
    )) as { stillDue: number; notActive: number }[];
    return row;
  }

  /** Dead row versions from the last marking are cleaned now, not by autovacuum during a measured pass. */
  private async vacuum(): Promise<void> {
    await this.dataSource.query(`VACUUM (ANALYZE) signing_auth_connections`);
  }

  /** Closes its app and drops the schema. */
  async stop(): Promise<void> {
    await this.app.close();
    await adminQuery(this.databaseUrl, `DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
  }
}

async function adminQuery(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
