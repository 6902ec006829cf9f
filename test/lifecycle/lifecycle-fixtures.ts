import type { DynamicModule } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { SigningAuthModule, type EncryptionKey, type SigningAuthModuleOptions } from 'signing-auth';
import { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import { startDocuSignEmulator, type DocuSignEmulator } from '../emulators/index.js';
import type { TestDatabase } from '../support/test-database.js';

/** DocuSign integration keys are GUIDs (the strategy checks). */
export const CLIENT_ID = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
export const CLIENT_SECRET = 'lifecycle-sk';
const REDIRECT_URI = 'http://app.test/signing-auth/oauth/docusign/callback';

/** A DocuSign emulator with one integration key and one user (rotation with reuse detection is built in). */
export async function startLifecycleEmulator(options: { accessTokenTtlSeconds?: number } = {}) {
  const emu = await startDocuSignEmulator({
    ...options,
    clients: [{ clientId: CLIENT_ID, secret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] }],
    users: [{ sub: 'user-1' }],
    // Every tenant here shares one DocuSign account, and these tests hammer it to test token rotation across
    // replicas, not DocuSign's REST limits (test/http/rate-limits.e2e-spec.ts does): no limit in reach.
    apiLimits: { hourly: Number.MAX_SAFE_INTEGER, burst: Number.MAX_SAFE_INTEGER },
  });
  return emu;
}

/** Module options that point the built-in `docusign` strategy at the emulator. */
export function docusignAt(emu: DocuSignEmulator): Partial<SigningAuthModuleOptions> {
  return { hosts: { docusignOAuthUrl: emu.url } };
}

export async function bootApp(
  db: TestDatabase,
  key: EncryptionKey,
  options: Partial<SigningAuthModuleOptions>,
  hostImports: DynamicModule[] = [],
): Promise<{ app: TestingModule; dataSource: DataSource }> {
  const app = await Test.createTestingModule({
    imports: [
      ...hostImports,
      TypeOrmModule.forRoot(db.options),
      SigningAuthModule.forRoot({ encryptionKeys: [key], sweep: { enabled: false }, ...options }),
    ],
  }).compile();
  await app.init();
  return { app, dataSource: app.get<DataSource>(getDataSourceToken()) };
}

interface Grant {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** Runs the authorization-code flow against the emulator (what a tenant's admin does once). */
export async function consentAtEmulator(emu: DocuSignEmulator): Promise<Grant> {
  const auth = new URL(`${emu.url}/oauth/auth`);
  auth.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'signature extended',
    state: 's',
  }).toString();
  const redirect = await fetch(auth, { redirect: 'manual' });
  const code = new URL(redirect.headers.get('location')!).searchParams.get('code')!;
  const res = await fetch(`${emu.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code }),
  });
  const body = (await res.json()) as { access_token: string; refresh_token: string; expires_in: number };
  if (!res.ok) throw new Error(`code exchange failed: ${res.status}`);
  return { accessToken: body.access_token, refreshToken: body.refresh_token, expiresIn: body.expires_in };
}

/**
 * Creates `count` connected DocuSign connections (`${prefix}-${i}`) the way the connect flow leaves them:
 * active, tokens encrypted, refresh-token renewal scheduled after a third of 30 days.
 */
export async function seedConnections(
  app: TestingModule,
  emu: DocuSignEmulator,
  options: { prefix: string; count: number; now: Date; accessExpired?: boolean; provider?: string },
): Promise<string[]> {
  const cipher = app.get(ConnectionCipher);
  const dataSource = app.get<DataSource>(getDataSourceToken());
  const provider = options.provider ?? 'docusign';
  const accountId = (await userinfoAccount(emu)) ?? 'unknown';
  const tenants = Array.from({ length: options.count }, (_, i) => `${options.prefix}-${i}`);
  const now = options.now.getTime();
  for (let start = 0; start < tenants.length; start += 100) {
    const chunk = tenants.slice(start, start + 100);
    const grants = await Promise.all(chunk.map(() => consentAtEmulator(emu)));
    const values: unknown[] = [];
    const tuples = chunk.map((tenant, i) => {
      const g = grants[i];
      const p = values.length;
      values.push(
        tenant,
        provider,
        cipher.encryptSecrets(tenant, provider, { secretKey: CLIENT_SECRET }),
        cipher.encrypt(tenant, provider, 'accessTokenCiphertext', g.accessToken),
        cipher.encrypt(tenant, provider, 'refreshTokenCiphertext', g.refreshToken),
        new Date(options.accessExpired ? now - 60_000 : now + g.expiresIn * 1000),
        new Date(now + 30 * 86_400_000),
        new Date(now),
        new Date(now + 10 * 86_400_000),
        JSON.stringify({ accountId, baseUri: emu.url }),
        JSON.stringify({ environment: 'demo', integrationKey: CLIENT_ID, grant: 'authorization_code' }),
      );
      const a = (n: number) => `$${p + n}`;
      return `(gen_random_uuid(), ${a(1)}, ${a(2)}, 'active', 'authorization_code', '["signature","extended"]'::jsonb,
        ${a(11)}::jsonb, ${a(3)}, ${a(4)}, 'Bearer', ${a(5)}, ${a(6)}, ${a(7)}, ${a(8)}, ${a(8)}, ${a(9)}, ${a(10)}::jsonb)`;
    });
    await dataSource.query(
      `INSERT INTO signing_auth_connections (id, tenant_id, provider, status, grant_type, scopes, config,
         secrets_ciphertext, access_token_ciphertext, token_type, refresh_token_ciphertext, access_token_expires_at,
         refresh_token_expires_at, refresh_token_issued_at, last_refreshed_at, next_refresh_at, metadata)
       VALUES ${tuples.join(', ')}`,
      values,
    );
  }
  return tenants;
}

async function userinfoAccount(emu: DocuSignEmulator): Promise<string | undefined> {
  const grant = await consentAtEmulator(emu);
  const res = await fetch(`${emu.url}/oauth/userinfo`, {
    headers: { authorization: `Bearer ${grant.accessToken}` },
  });
  const body = (await res.json()) as { accounts?: { account_id: string }[] };
  return body.accounts?.[0]?.account_id;
}

export async function readRow(dataSource: DataSource, tenantId: string, provider = 'docusign') {
  const [row] = await dataSource.query(
    `SELECT status, failure_count, last_error, next_refresh_at, refresh_token_ciphertext, version, lease_owner,
            access_token_expires_at, metadata, last_used_at
       FROM signing_auth_connections WHERE tenant_id = $1 AND provider = $2`,
    [tenantId, provider],
  );
  return row as Record<string, unknown>;
}
