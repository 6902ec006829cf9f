/**
 * The thundering herd: many callers want the same connection's token at the same moment, when it is absent
 * (never fetched) and when it has expired. 1,000 concurrent callers in one process, and 3 processes × 300
 * (the lease on the row makes the refresh happen once across replicas). The provider answers token
 * requests after 25 ms. Figures: token requests the provider saw (goal: 1 every time) and the p99 wait of
 * all callers, from the moment the process starts them to their token.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConnectionsService, TokenService } from 'signing-auth';
import { oauth2Connection, startApiServer } from './lib/api-server.js';
import { benchEncryptionKeys, startBenchApp } from './lib/bench-app.js';
import { createBenchDatabase } from './lib/bench-database.js';
import type { HerdAnswer, HerdCommand, HerdWorkerConfig } from './lib/herd-worker.js';
import { percentile, type BenchContext } from './lib/kit.js';

const WORKER = fileURLToPath(new URL('./lib/herd-worker.js', import.meta.url));
const PROVIDER = 'oauth2';
const TOKEN_DELAY_MS = 25;

type TokenState = 'absent' | 'expired';

export async function run(ctx: BenchContext): Promise<void> {
  const reps = ctx.quick ? 1 : 5;
  const layouts = [
    { processes: 1, callers: 1_000 },
    { processes: 3, callers: 300 },
  ];
  const db = await createBenchDatabase(ctx.databaseUrl, 'herd');
  const server = await startApiServer({ tokenDelayMs: TOKEN_DELAY_MS });
  const encryptionKeys = benchEncryptionKeys();
  // The scenario's own app prepares the connections; the herd runs in worker processes with cold caches.
  const app = await startBenchApp(db.options, { encryptionKeys, verifyOnSave: false });
  const workers: ChildProcess[] = [];
  try {
    // Three processes serve both layouts: the first alone for 1,000 callers, all three for 3 × 300.
    workers.push(
      ...(await Promise.all([0, 1, 2].map(() => startWorker({ databaseUrl: db.url, encryptionKeys })))),
    );
    const connections = app.get(ConnectionsService);
    const tokens = app.get(TokenService);
    for (const layout of layouts) {
      const label = layout.processes === 1 ? '1,000 callers in 1 process' : '3 processes × 300 callers';
      const group = workers.slice(0, layout.processes);
      for (const state of ['absent', 'expired'] as TokenState[]) {
        const requests: number[] = [];
        const p99: number[] = [];
        for (let rep = 0; rep < reps; rep++) {
          const tenantId = `herd-${layout.processes}p-${state}-${rep}`;
          await connections.upsert(tenantId, PROVIDER, oauth2Connection(server));
          if (state === 'expired') {
            await tokens.getAccessToken(tenantId, PROVIDER);
            await db.query(
              `UPDATE signing_auth_connections SET access_token_expires_at = now() - interval '1 minute'
               WHERE tenant_id = $1`,
              [tenantId],
            );
          }
          const before = await server.tokenRequests();
          const answers = await Promise.all(
            group.map((worker) =>
              ask(worker, { type: 'go', tenantId, provider: PROVIDER, callers: layout.callers }),
            ),
          );
          const errors = answers.flatMap((a) => a.errors);
          if (errors.length > 0) throw new Error(`herd callers failed: ${errors.join('; ')}`);
          requests.push((await server.tokenRequests()) - before);
          p99.push(
            percentile(
              answers.flatMap((a) => a.waitsMs),
              99,
            ),
          );
        }
        ctx.log(
          `${label}, token ${state}: token requests ${requests.join(', ')}; p99 ${p99.map((v) => v.toFixed(0)).join(', ')} ms`,
        );
        ctx.record({
          figure: `${label}, token ${state}: token requests at the provider`,
          unit: 'requests',
          samples: requests,
          goal: '1 every time',
          met: requests.every((n) => n === 1),
          note: `one sample per herd; provider answers after ${TOKEN_DELAY_MS} ms`,
        });
        ctx.record({
          figure: `${label}, token ${state}: p99 wait`,
          unit: 'ms',
          samples: p99,
          goal: 'keep',
          note: `from the moment the process starts its callers to their token; the provider alone takes ${TOKEN_DELAY_MS} ms`,
        });
      }
    }
    await Promise.all(workers.map(stopWorker));
  } finally {
    for (const worker of workers) worker.kill('SIGKILL');
    await app.close();
    server.close();
    await db.drop();
  }
}

async function startWorker(config: HerdWorkerConfig): Promise<ChildProcess> {
  const worker = fork(WORKER, [], {
    env: { ...process.env, HERD_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((ready, fail) => {
    worker.once('message', () => ready());
    worker.once('exit', (code) => fail(new Error(`a herd worker exited (${code}) before it was ready`)));
  });
  return worker;
}

function ask(worker: ChildProcess, command: HerdCommand): Promise<HerdAnswer> {
  return new Promise((answer, fail) => {
    const onExit = (code: number | null) => fail(new Error(`a herd worker exited (${code})`));
    worker.once('exit', onExit);
    worker.once('message', (message: HerdAnswer) => {
      worker.off('exit', onExit);
      answer(message);
    });
    worker.send(command);
  });
}

function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return Promise.resolve();
  return new Promise((stopped) => {
    worker.once('exit', () => stopped());
    worker.send({ type: 'stop' } satisfies HerdCommand);
  });
}
