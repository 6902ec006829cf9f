/**
 * The benchmark suite: runs every `dist/bench/*.bench.js` (after `npm run build`), each in a child process
 * of its own, then prints ONE markdown table of all their figures and writes the results.
 *
 *   npm run bench                      every scenario, full size; writes bench/results.json, bench/results.md
 *                                      and docs/bench/<chart>.svg
 *   npm run bench -- herd memory       only the scenarios whose name contains one of the words
 *   npm run bench -- --quick           smoke mode (small sizes, < 60 s in all); writes only
 *                                      dist/bench/results.quick.json
 *
 * A scenario that throws fails the run (exit code 1) after the others ran. The contract with the
 * scenarios is bench/lib/kit.ts.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentLoad, machineFacts } from './lib/machine.js';
import { collect, mergeWithPrevious, writeResults, type RunResults } from './lib/results.js';
import { runScenario, stopAll, type ScenarioResult } from './lib/scenario-launcher.js';
import { markdownTable } from './lib/table.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root: dist/bench/ → ../.. */
const root = resolve(here, '../..');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const words = args.filter((a) => !a.startsWith('--'));
const timeoutMs = (quick ? 60 : 900) * 1000;

const compiled = (await readdir(here)).filter((f) => f.endsWith('.bench.js'));
// tsc -b never deletes the output of a deleted or renamed source: run only what still has a source.
const stale = compiled.filter((f) => !existsSync(join(root, 'bench', f.replace(/\.js$/, '.ts'))));
if (stale.length > 0) console.error(`skipped (no source in bench/ any more): ${stale.join(', ')}`);
const files = compiled
  .filter((f) => !stale.includes(f))
  .filter((f) => words.length === 0 || words.some((word) => f.includes(word)))
  .sort();
if (files.length === 0) {
  console.error(`No scenario matches ${words.join(', ')}.`);
  process.exit(1);
}

// Interrupted: the running scenario is stopped (it drops its database first), no other starts, and
// nothing is written (a partial run must not replace the results of a whole one).
let interrupted: Promise<void> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the running scenario (it drops its database first)`);
    interrupted = stopAll();
  });
}

const machine = machineFacts();
const date = new Date().toISOString();
const started = performance.now();
const results: ScenarioResult[] = [];
for (const file of files) {
  if (interrupted) break;
  const name = file.replace(/\.bench\.js$/, '');
  console.error(`\n=== ${name}${quick ? ' (quick)' : ''} ===`);
  const result = await runScenario(join(here, file), name, { quick, timeoutMs });
  console.error(
    `=== ${name}: ${result.ok ? 'done' : 'FAILED'} in ${result.wallSeconds.toFixed(1)} s ` +
      `(${result.cpuSeconds.toFixed(1)} s CPU)` +
      `${result.error ? `\n${result.error}` : ''}`,
  );
  results.push(result);
}
if (interrupted) {
  await interrupted;
  process.exit(130);
}
machine.loadAfter = currentLoad();
const wallSeconds = Math.round((performance.now() - started) / 100) / 10;
const cpuSeconds = Math.round(results.reduce((sum, r) => sum + r.cpuSeconds, 0) * 10) / 10;

const measured = collect(results, {
  date,
  quick,
  command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
  wallSeconds,
  cpuSeconds,
  machine,
});
const run = quick || words.length === 0 ? measured : mergeWithPrevious(measured, await previousResults());
console.log(`\n${markdownTable(measured.figures)}\n`);
console.log(
  `${files.length} scenario(s) in ${wallSeconds} s (${cpuSeconds} s CPU); load ${machine.loadBefore[0]} before, ` +
    `${machine.loadAfter[0]} after; ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`,
);
const written = await writeResults(run, root);
console.log(`wrote ${written.map((p) => relative(root, p)).join(', ')}`);

const failed = results.filter((r) => !r.ok);
if (failed.length > 0) {
  console.log(`\nFAILED: ${failed.map((r) => `${r.name} (${r.error?.split('\n')[0]})`).join('; ')}`);
  process.exitCode = 1;
}

async function previousResults(): Promise<RunResults | undefined> {
  try {
    return JSON.parse(await readFile(join(root, 'bench/results.json'), 'utf8')) as RunResults;
  } catch {
    return undefined;
  }
}
