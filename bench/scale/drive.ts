/**
 * A stand-in runner for one scenario until bench/run-all.ts passes a context:
 *   node dist/bench/scale/drive.js million-rows [--quick]
 * Prints each figure as it is recorded (median and min–max), and the total wall time.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, type BenchContext, type BenchModule } from '../lib/kit.js';

const [name, ...flags] = process.argv.slice(2);
const quick = flags.includes('--quick');
const file = join(dirname(fileURLToPath(import.meta.url)), '..', `${name}.bench.js`);
const bench = (await import(pathToFileURL(file).href)) as BenchModule;
const ctx: BenchContext = {
  quick,
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  record: (f) =>
    console.log(
      `${f.figure}: ${median(f.samples).toFixed(3)} ${f.unit} [${Math.min(...f.samples).toFixed(3)}–` +
        `${Math.max(...f.samples).toFixed(3)}]${f.goal ? ` goal ${f.goal} met=${f.met}` : ''}\n    ${f.note ?? ''}`,
    ),
  point: () => undefined,
  chart: () => undefined,
  log: (m) => console.error(`  … ${m}`),
};
const started = performance.now();
await bench.run(ctx);
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s (${quick ? 'quick' : 'full'})`);
