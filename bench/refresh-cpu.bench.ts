/**
 * CPU per refresh during a sweep, broken down. N due generic OAuth 2.0 connections (refresh_token grant,
 * the endpoint rotates the refresh token every time) are swept at concurrency 50, batch 200, against a
 * token endpoint in a child process that answers after 25 ms, on real PostgreSQL (a database of its own).
 *
 * Figures (all CPU time of this process, user + system, per refresh):
 * - the sweep: process.cpuUsage() over one pass / refreshes; every row is marked due again between passes;
 * - its parts, each measured alone in the same process on the same data: the provider call (the HTTP
 *   client against the same endpoint), decrypt/encrypt (one refresh's worth of values), the write-back
 *   (the sweep's database statements: batch claim and fenced write, without a provider call), events
 *   and metrics (one `token.refreshed` through the bus with Prometheus metrics on);
 * - the rest is the sweep's own bookkeeping, Nest/TypeORM glue and the garbage collector.
 *
 *   node dist/bench/run-all.js refresh-cpu           (N = 5,000; --quick: N = 300)
 *   REFRESH_CPU_PROFILE=sweep.cpuprofile ...       (a V8 CPU profile of the measured passes only, without
 *   start-up and seeding; summarise with `node dist/bench/lib/cpu-profile-summary.js sweep.cpuprofile`)
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import {
  SIGNING_AUTH_ENTITIES,
  SIGNING_AUTH_MIGRATIONS,
  SigningAuthEvent,
  SigningAuthModule,
  SigningAuthSweeper,
} from 'signing-auth';
import { cpuMsSince, median, type BenchContext } from './lib/kit.js';
import { internal } from './lib/internals.js';
import { startTokenEndpoint, type TokenEndpoint } from './lib/token-endpoint.js';
import { measureFloor } from './lib/token-floor.js';

type ConnectionCipherModule = typeof import('../libs/signing-auth/dist/connections/connection-cipher.js');
type HttpClientModule = typeof import('../libs/signing-auth/dist/providers/shared/provider-http.client.js');
type NetworkPolicyModule = typeof import('../libs/signing-auth/dist/network/network-policy.js');
type LeaseModule = typeof import('../libs/signing-auth/dist/refresh/refresh-lease.repository.js');
type WriterModule = typeof import('../libs/signing-auth/dist/refresh/batched-grant-writer.js');
type EventBusModule = typeof import('../libs/signing-auth/dist/events/event-bus.js');
type ConnectionCipher = InstanceType<ConnectionCipherModule['ConnectionCipher']>;

const LATENCY_MS = 25;
// REFRESH_CPU_CONCURRENCY / REFRESH_CPU_BATCH compare other settings (e.g. the defaults, 5 and 50) by hand.
const CONCURRENCY = Number(process.env.REFRESH_CPU_CONCURRENCY ?? 50);
const BATCH = Number(process.env.REFRESH_CPU_BATCH ?? 200);
const PASSES = 3;
const DATABASE = 'bench_refresh_cpu';
const GOAL_MS = 0.6;
const PROVIDER = 'oauth2';
const CLIENT_SECRET = 'bench-client-secret';

export async function run(ctx: BenchContext): Promise<void> {
  // REFRESH_CPU_N: another size, e.g. for a profile of the sweep alone (with REFRESH_CPU_PARTS=0).
  const n = Number(process.env.REFRESH_CPU_N ?? (ctx.quick ? 300 : 5_000));
  const endpoint = await startTokenEndpoint(LATENCY_MS);
  const schema = await freshSchema(ctx.databaseUrl);
  const app = await startApp(schema.url);
  try {
    const dataSource = app.get<DataSource>(getDataSourceToken());
    const { ConnectionCipher } = await internal<ConnectionCipherModule>('./connections/connection-cipher.js');
    const cipher = app.get(ConnectionCipher);
    ctx.log(`refresh-cpu: seeding ${n} oauth2 connections`);
    await seed(dataSource, cipher, endpoint.tokenUrl, n);

    const sweeper = app.get(SigningAuthSweeper);
    const sweepMs: number[] = [];
    const wallMs: number[] = [];
    const profiler = process.env.REFRESH_CPU_PROFILE ? new Session() : undefined;
    // One warm-up pass (JIT, pools, sockets), then the measured ones.
    for (let pass = 0; pass <= PASSES; pass++) {
      await markDue(dataSource);
      if (pass === 1 && profiler) await startProfile(profiler);
      const before = await endpoint.stats();
      const started = process.cpuUsage();
      const wall = performance.now();
      const report = await sweeper.runOnce();
      const cpu = cpuMsSince(started);
      const after = await endpoint.stats();
      if (report.refreshed !== n) {
        throw new Error(`pass ${pass}: ${report.refreshed} of ${n} refreshed (${JSON.stringify(report)})`);
      }
      ctx.log(
        `refresh-cpu: pass ${pass}${pass === 0 ? ' (warm-up)' : ''}: ${(cpu / n).toFixed(3)} ms CPU/refresh, ` +
          `${Math.round(performance.now() - wall)} ms wall, ${after.requests - before.requests} token requests ` +
          `over ${after.connections - before.connections} new TCP connections`,
      );
      if (pass > 0) {
        sweepMs.push(cpu / n);
        wallMs.push(performance.now() - wall);
      }
    }
    if (profiler) await stopProfile(profiler, process.env.REFRESH_CPU_PROFILE!);
    const sweep = median(sweepMs);
    ctx.record({
      figure: `sweep ${n.toLocaleString('en')} due, concurrency ${CONCURRENCY}, batch ${BATCH}: CPU per refresh`,
      unit: 'ms',
      samples: sweepMs,
      goal: `≤ ${GOAL_MS}`,
      met: sweep <= GOAL_MS,
      note: `process.cpuUsage over a pass / refreshes; endpoint in a child process answering after ${LATENCY_MS} ms`,
    });

    await recordFloor(ctx, endpoint, n, median(wallMs), sweep);

    if (process.env.REFRESH_CPU_PARTS === '0') return;
    const parts = {
      'provider call (HTTP client alone)': await providerCallMs(endpoint, n),
      'decrypt + encrypt (crypto alone)': cryptoMs(cipher, n),
      'write-back (batch claim + fenced write, no provider call)': await writeBackMs(app, dataSource, n),
      'events + metrics (token.refreshed through the bus)': await eventsMs(app, n),
    };
    let accounted = 0;
    for (const [part, samples] of Object.entries(parts)) {
      accounted += median(samples);
      ctx.record({ figure: `  part: ${part}`, unit: 'ms', samples, note: 'CPU per refresh, measured alone' });
    }
    ctx.record({
      figure: '  part: the rest (sweep bookkeeping, Nest/TypeORM glue, GC)',
      unit: 'ms',
      samples: [sweep - accounted],
      note: 'sweep median minus the parts (negative: the parts alone paid overheads the sweep shares, e.g. per-batch work)',
    });
  } finally {
    await app.close();
    await endpoint.stop();
    await schema.drop();
  }
}

/**
 * The measured floor beside the sweep (bench/lib/token-floor.ts): the same N token requests at the same
 * concurrency from a bare keep-alive node:http client in this process, against the same endpoint. The
 * sweep's wall time over the floor's is the library's whole overhead; the floor's CPU per request is what
 * any client pays.
 */
async function recordFloor(
  ctx: BenchContext,
  endpoint: TokenEndpoint,
  n: number,
  sweepWallMs: number,
  sweepCpuMs: number,
): Promise<void> {
  const floor = await measureFloor({
    tokenUrl: endpoint.tokenUrl,
    n,
    concurrency: CONCURRENCY,
    body: (i) => `grant_type=refresh_token&refresh_token=floor-${i}`,
  });
  if (floor.ok !== n) throw new Error(`floor: ${floor.ok} of ${n} token requests answered 2xx`);
  const bound = (n * LATENCY_MS) / CONCURRENCY;
  ctx.log(
    `refresh-cpu: floor ${Math.round(floor.wallMs)} ms wall (${(floor.wallMs / bound).toFixed(2)}× bound), ` +
      `${(floor.cpuMs / n).toFixed(3)} ms CPU/request`,
  );
  ctx.record({
    figure: `sweep ${n.toLocaleString('en')} due, concurrency ${CONCURRENCY}: wall / measured floor`,
    unit: 'ratio',
    samples: [sweepWallMs / floor.wallMs],
    note:
      `median pass ${Math.round(sweepWallMs)} ms; floor (bare keep-alive node:http client, same N and concurrency) ` +
      `${Math.round(floor.wallMs)} ms = ${(floor.wallMs / bound).toFixed(2)}× the bound N × ${LATENCY_MS} ms / ${CONCURRENCY}; ` +
      `sweep / bound ${(sweepWallMs / bound).toFixed(2)}`,
  });
  ctx.record({
    figure: `  floor: CPU per token request of a bare keep-alive client, concurrency ${CONCURRENCY}`,
    unit: 'ms',
    samples: [floor.cpuMs / n],
    note: `what any client pays per request in this process; the sweep's ${sweepCpuMs.toFixed(3)} ms per refresh includes it`,
  });
}

async function startProfile(session: Session): Promise<void> {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}

/** The measured passes' profile (they ran with the profiler on: their CPU figures include its cost). */
async function stopProfile(session: Session, path: string): Promise<void> {
  const { profile } = await session.post('Profiler.stop');
  await writeFile(path, JSON.stringify(profile));
  session.disconnect();
}

async function startApp(databaseUrl: string): Promise<INestApplicationContext> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: databaseUrl,
        entities: SIGNING_AUTH_ENTITIES,
        migrations: SIGNING_AUTH_MIGRATIONS,
        migrationsRun: true,
        logging: false,
        extra: { max: 10 },
      }),
      SigningAuthModule.forRoot({
        encryptionKeys: [{ id: 'bench', key: randomBytes(32).toString('base64') }],
        sweep: { enabled: false, concurrency: CONCURRENCY, batchSize: BATCH },
        // The token endpoint is on loopback: a tenant URL there is allowed only in development mode.
        developmentMode: true,
        metrics: true,
      }),
    ],
  })
  class RefreshCpuBenchModule {}
  return NestFactory.createApplicationContext(RefreshCpuBenchModule, { logger: ['error', 'warn'] });
}

/** A fresh schema in a database of this scenario's own, so runs never clobber others' tables. */
async function freshSchema(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${DATABASE}"`);
  await admin.end();
  const dbUrl = new URL(serverUrl);
  dbUrl.pathname = `/${DATABASE}`;
  const schema = `refresh_cpu_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: dbUrl.toString() });
  await client.connect();
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.end();
  const url = new URL(dbUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: dbUrl.toString() });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

/** Connected generic OAuth 2.0 connections (authorization code grant), as the connect flow leaves them. */
async function seed(dataSource: DataSource, cipher: ConnectionCipher, tokenUrl: string, n: number) {
  const config = JSON.stringify({ tokenUrl, clientId: 'bench-client', grant: 'authorization_code' });
  for (let start = 0; start < n; start += 500) {
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (let i = start; i < Math.min(n, start + 500); i++) {
      const tenant = `cpu-${i}`;
      const p = values.length;
      values.push(
        tenant,
        cipher.encryptSecrets(tenant, PROVIDER, { clientSecret: CLIENT_SECRET }),
        cipher.encrypt(
          tenant,
          PROVIDER,
          'accessTokenCiphertext',
          `at_${randomBytes(24).toString('base64url')}`,
        ),
        cipher.encrypt(
          tenant,
          PROVIDER,
          'refreshTokenCiphertext',
          `rt_${randomBytes(24).toString('base64url')}`,
        ),
      );
      tuples.push(
        `(gen_random_uuid(), $${p + 1}, '${PROVIDER}', 'active', 'authorization_code', '[]'::jsonb,
          $${values.length + 1}::jsonb, $${p + 2}, $${p + 3}, 'Bearer', $${p + 4}, now(), now(), now(), now(), '{}'::jsonb)`,
      );
      values.push(config);
    }
    await dataSource.query(
      `INSERT INTO signing_auth_connections (id, tenant_id, provider, status, grant_type, scopes, config,
         secrets_ciphertext, access_token_ciphertext, token_type, refresh_token_ciphertext, access_token_expires_at,
         last_refreshed_at, last_used_at, next_refresh_at, metadata)
       VALUES ${tuples.join(', ')}`,
      values,
    );
  }
}

/** Every connection in use, its access token expired and its refresh due: the next pass refreshes all. */
async function markDue(dataSource: DataSource): Promise<void> {
  await dataSource.query(
    `UPDATE signing_auth_connections SET access_token_expires_at = now() - interval '1 minute',
       last_used_at = now(), next_refresh_at = now() - interval '1 second', lease_owner = NULL, lease_expires_at = NULL`,
  );
  await dataSource.query('VACUUM ANALYZE signing_auth_connections');
}

/** The HTTP client alone: the same POST as a refresh, to the same endpoint, at the sweep's concurrency. */
async function providerCallMs(endpoint: TokenEndpoint, n: number): Promise<number[]> {
  const { ProviderHttpClient, oauthBasicAuth } = await internal<HttpClientModule>(
    './providers/shared/provider-http.client.js',
  );
  const { NetworkPolicy } = await internal<NetworkPolicyModule>('./network/network-policy.js');
  const client = new ProviderHttpClient(
    30_000,
    new NetworkPolicy({ developmentMode: true, allowPrivateNetworks: false }),
  );
  const authorization = oauthBasicAuth('bench-client', CLIENT_SECRET);
  const failure = { provider: PROVIDER, operation: 'refresh', tenantId: 'bench', secrets: [] };
  const call = () =>
    client.request(
      {
        method: 'POST',
        url: endpoint.tokenUrl,
        tenantUrl: true,
        form: { grant_type: 'refresh_token', refresh_token: `rt_${randomBytes(24).toString('base64url')}` },
        authorization,
      },
      // A signal per call, as the refresher hands each refresh its own.
      { signal: new AbortController().signal, now: () => new Date() },
      failure,
    );
  return repeat(async () => {
    await limited(n, CONCURRENCY, call);
    return n;
  });
}

/** Decrypting a row (secrets, access and refresh token) and encrypting the new access and refresh token. */
function cryptoMs(cipher: ConnectionCipher, n: number): number[] {
  const stored = {
    secrets: cipher.encryptSecrets('t', PROVIDER, { clientSecret: CLIENT_SECRET }),
    access: cipher.encrypt('t', PROVIDER, 'accessTokenCiphertext', `at_${'x'.repeat(32)}`),
    refresh: cipher.encrypt('t', PROVIDER, 'refreshTokenCiphertext', `rt_${'x'.repeat(32)}`),
  };
  const samples: number[] = [];
  for (let r = 0; r <= PASSES; r++) {
    const started = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const tenant = `cpu-${i}`;
      JSON.parse(cipher.decrypt('t', PROVIDER, 'secretsCiphertext', stored.secrets));
      cipher.decrypt('t', PROVIDER, 'accessTokenCiphertext', stored.access);
      cipher.decrypt('t', PROVIDER, 'refreshTokenCiphertext', stored.refresh);
      cipher.encrypt(tenant, PROVIDER, 'accessTokenCiphertext', `at_${'y'.repeat(32)}`);
      cipher.encrypt(tenant, PROVIDER, 'refreshTokenCiphertext', `rt_${'y'.repeat(32)}`);
    }
    if (r > 0) samples.push(cpuMsSince(started) / n);
  }
  return samples;
}

/**
 * The sweep's statements alone: claim in batches, then the fenced write-back of a grant for every row,
 * through the batched writer (or, in a build that has none, the single-row statement the sweep used).
 */
async function writeBackMs(
  app: INestApplicationContext,
  dataSource: DataSource,
  n: number,
): Promise<number[]> {
  const { RefreshLeaseRepository } = await internal<LeaseModule>('./refresh/refresh-lease.repository.js');
  const leases = app.get(RefreshLeaseRepository);
  const writer: Pick<typeof leases, 'storeRefreshed'> = await internal<WriterModule>(
    './refresh/batched-grant-writer.js',
  ).then(
    (m) => app.get(m.BatchedGrantWriter),
    () => leases,
  );
  const owner = `bench-writer-${randomBytes(4).toString('hex')}`;
  return repeat(
    async () => {
      let written = 0;
      for (;;) {
        const rows = await leases.claimDue(owner, new Date(), 60_000, BATCH);
        if (rows.length === 0) break;
        await limited(rows.length, CONCURRENCY, async (i) => {
          const now = new Date();
          const version = await writer.storeRefreshed(
            rows[i],
            owner,
            {
              accessToken: `at_${'z'.repeat(32)}`,
              refreshToken: `rt_${'z'.repeat(32)}`,
              tokenType: 'Bearer',
              expiresAt: new Date(now.getTime() + 3_600_000),
            },
            {
              now,
              nextRefreshAt: new Date(now.getTime() + 3_000_000),
              markUsed: false,
              refreshTokenIssuedAt: null,
            },
          );
          if (version !== null) written++;
        });
      }
      if (written !== n) throw new Error(`write-back: ${written} of ${n} written`);
      return n;
    },
    () => markDue(dataSource),
  );
}

/** One `token.refreshed` per refresh through the module's event bus (metrics listening). */
async function eventsMs(app: INestApplicationContext, n: number): Promise<number[]> {
  const { SigningAuthEventBus } = await internal<EventBusModule>('./events/event-bus.js');
  const bus = app.get(SigningAuthEventBus);
  return repeat(async () => {
    for (let i = 0; i < n; i++) {
      bus.emit(SigningAuthEvent.TokenRefreshed, {
        tenantId: `cpu-${i}`,
        provider: PROVIDER,
        trigger: 'sweep',
        durationMs: 26,
        accessTokenExpiresAt: new Date().toISOString(),
      });
    }
    return n;
  });
}

/**
 * A warm-up, then PASSES measured runs of `work` (which returns how many refreshes' worth it did); `prepare`
 * runs before each, outside the measurement.
 */
async function repeat(work: () => Promise<number>, prepare?: () => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let r = 0; r <= PASSES; r++) {
    await prepare?.();
    const started = process.cpuUsage();
    const count = await work();
    if (r > 0) samples.push(cpuMsSince(started) / count);
  }
  return samples;
}

async function limited(count: number, limit: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}
