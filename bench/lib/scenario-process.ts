/**
 * The child process of one scenario (forked by scenario-launcher.ts): a fresh heap, so memory figures and
 * module state (caches, prom-client registry, typeorm-pglite's instance) never leak between scenarios.
 * Imports the scenario, hands it a BenchContext that forwards records to the parent over IPC, and exits
 * with 0 when `run()` resolved, 1 when it threw (the error goes to the parent first).
 *
 *   argv: <scenario file URL> ; env BENCH_QUICK=1 for the smoke mode, DATABASE_URL for the server
 */
import { runInterruptCleanups } from './interrupt-cleanup.js';
import type { BenchContext, BenchModule } from './kit.js';
import type { ScenarioMessage } from './scenario-messages.js';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

function send(message: ScenarioMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

async function main(): Promise<number> {
  const url = process.argv[2];
  const name = process.argv[3];
  const pending: Promise<void>[] = [];
  const ctx: BenchContext = {
    quick: process.env.BENCH_QUICK === '1',
    databaseUrl: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
    record: (figure) => void pending.push(send({ type: 'figure', figure: { ...figure, scenario: name } })),
    point: (point) => void pending.push(send({ type: 'point', point })),
    chart: (id, spec) => void pending.push(send({ type: 'chart', id, spec })),
    log: (message) => process.stderr.write(`[${name}] ${message}\n`),
  };
  try {
    const module = (await import(url)) as Partial<BenchModule>;
    if (typeof module.run !== 'function') throw new Error(`${name} exports no run() function`);
    await module.run(ctx);
    await Promise.all(pending);
    return 0;
  } catch (error) {
    await Promise.all(pending).catch(() => undefined);
    const e = error as Error;
    await send({
      type: 'failed',
      message: `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`,
      stack: e?.stack,
    });
    return 1;
  }
}

// The runner stops a scenario with SIGTERM to its process group (interrupted or timed out): drop what
// must not outlive it (its database), then go.
process.once('SIGTERM', () => {
  void runInterruptCleanups(5_000).then(() => process.exit(143));
});

// Exit explicitly: a scenario that leaves a timer or socket open must not hold the whole run.
process.exit(await main());
