/**
 * Memory: RSS growth of an app process while it serves 10,000 of 100,000 stored connections (each token
 * fetched from the provider, then held in the cache). Quick mode: 500 of 5,000.
 *
 * The served connections are saved through ConnectionsService (their secrets are encrypted with the
 * tenant in the associated data, so they cannot be copied in SQL); the others are SQL copies of one saved
 * row under other tenant ids: never served, they only have to be there (sweep, census, health counts).
 * The measuring process is started fresh after the seeding, so seeding garbage is not in its heap.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConnectionsService } from 'signing-auth';
import { oauth2Connection, startApiServer, type ApiServer } from './lib/api-server.js';
import { benchEncryptionKeys, startBenchApp } from './lib/bench-app.js';
import { createBenchDatabase, type BenchDatabase } from './lib/bench-database.js';
import { median, type BenchContext } from './lib/kit.js';
import type { MemoryCheckpoint, MemoryWorkerConfig } from './lib/memory-worker.js';

const WORKER = fileURLToPath(new URL('./lib/memory-worker.js', import.meta.url));
const PROVIDER = 'oauth2';
const SERVED_PREFIX = 'served-';
const GOAL_MB = 64;

export async function run(ctx: BenchContext): Promise<void> {
  const size = ctx.quick
    ? { stored: 5_000, served: 500, reps: 1 }
    : { stored: 100_000, served: 10_000, reps: 2 };
  const label = `${size.stored.toLocaleString('en-US')} stored / ${size.served.toLocaleString('en-US')} served`;
  const db = await createBenchDatabase(ctx.databaseUrl, 'memory');
  const server = await startApiServer();
  const encryptionKeys = benchEncryptionKeys();
  try {
    const started = performance.now();
    await seed(db, server, encryptionKeys, size);
    ctx.log(`seeded ${label} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const growth: number[] = [];
    const heapGrowth: number[] = [];
    const peakGrowth: number[] = [];
    ctx.chart('memory', {
      title: `RSS growth while serving connections (${label})`,
      xLabel: 'connections served (token fetched and cached)',
      yLabel: 'growth over the started app (MB)',
    });
    for (let rep = 0; rep < size.reps; rep++) {
      // Every repetition fetches every token from the provider again, as the first did.
      await db.query(
        `UPDATE signing_auth_connections SET access_token_expires_at = now() - interval '1 minute'`,
      );
      const checkpoints = await measure({
        databaseUrl: db.url,
        encryptionKeys,
        tenantPrefix: SERVED_PREFIX,
        served: size.served,
        provider: PROVIDER,
        concurrency: 50,
      });
      const [first, last] = [checkpoints[0], checkpoints[checkpoints.length - 1]];
      growth.push(last.rssMb - first.rssMb);
      heapGrowth.push(last.heapUsedMb - first.heapUsedMb);
      peakGrowth.push(Math.max(...checkpoints.map((c) => c.rssMb - first.rssMb)));
      ctx.log(`repetition ${rep + 1}: RSS ${first.rssMb.toFixed(1)} → ${last.rssMb.toFixed(1)} MB`);
      for (const c of checkpoints) {
        ctx.point({ chart: 'memory', series: `RSS, run ${rep + 1}`, x: c.served, y: c.rssMb - first.rssMb });
      }
    }
    ctx.record({
      figure: `RSS growth, ${label}`,
      unit: 'MB',
      samples: growth,
      goal: `≤ ${GOAL_MB} MB`,
      met: median(growth) <= GOAL_MB,
      note: `after a full GC, fresh process per repetition; heap used grew ${heapGrowth.map((h) => h.toFixed(1)).join(', ')} MB`,
    });
    ctx.record({
      figure: `RSS growth, ${label}: highest checkpoint`,
      unit: 'MB',
      samples: peakGrowth,
      goal: `≤ ${GOAL_MB} MB`,
      met: median(peakGrowth) <= GOAL_MB,
      note: 'the largest of the checkpoints at each quarter of the served connections (each after a full GC; the RSS between checkpoints is not sampled)',
    });
  } finally {
    server.close();
    await db.drop();
  }
}

async function seed(
  db: BenchDatabase,
  server: ApiServer,
  encryptionKeys: { id: string; key: string }[],
  size: { stored: number; served: number },
): Promise<void> {
  const app = await startBenchApp(db.options, { encryptionKeys, verifyOnSave: false });
  try {
    const connections = app.get(ConnectionsService);
    const input = oauth2Connection(server);
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < size.served) await connections.upsert(`${SERVED_PREFIX}${next++}`, PROVIDER, input);
      }),
    );
  } finally {
    await app.close();
  }
  // The rest: copies of one saved row under other tenant ids, every column but the id and the tenant.
  const columns = (
    await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = 'signing_auth_connections'
         AND column_name NOT IN ('id', 'tenant_id')`,
    )
  ).map((c) => `"${c.column_name}"`);
  await db.query(
    `INSERT INTO signing_auth_connections (id, tenant_id, ${columns.join(', ')})
     SELECT gen_random_uuid(), 'stored-' || g, ${columns.map((c) => `t.${c}`).join(', ')}
     FROM signing_auth_connections t, generate_series(1, $2::int) g
     WHERE t.tenant_id = $1`,
    [`${SERVED_PREFIX}0`, size.stored - size.served],
  );
  await db.query('ANALYZE signing_auth_connections');
}

function measure(config: MemoryWorkerConfig): Promise<MemoryCheckpoint[]> {
  const worker = fork(WORKER, [], {
    env: { ...process.env, MEMORY_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((answer, fail) => {
    worker.once('message', (checkpoints: MemoryCheckpoint[]) => answer(checkpoints));
    worker.once('exit', (code) => fail(new Error(`the memory worker exited (${code}) without an answer`)));
  });
}
