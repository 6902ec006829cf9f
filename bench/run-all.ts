/**
 * Runs every `*.bench.js` next to this file (after `npm run build`), one after the other, in one process.
 * `npm run bench` runs them all; `npm run bench -- http` only those whose file name contains "http".
 * Each bench module exports `run(): Promise<void>` and prints its own figures (ratios measured in one run).
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = (await readdir(here))
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filters.length === 0 || filters.some((word) => f.includes(word)))
  .sort();
if (files.length === 0) console.log(`No bench matches ${filters.join(', ')}.`);
for (const file of files) {
  console.log(`\n=== ${file.replace(/\.js$/, '')} ===`);
  const bench = (await import(pathToFileURL(join(here, file)).href)) as { run?: () => Promise<void> };
  if (typeof bench.run !== 'function') throw new Error(`${file} exports no run() function`);
  await bench.run();
}
