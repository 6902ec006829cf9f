/**
 * Creates an embedded database in a worker thread, then closes it: from the repository's template when one
 * fits the installed PGlite (unpacking, ~1.7 s), else by PGlite's initdb (~5 s). Both are WebAssembly that
 * block the thread running them; on their own thread they overlap with the main thread loading NestJS and
 * the app's modules, instead of adding to it (see embedded-database.ts).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const { dir, template, keep } = workerData as { dir: string; template?: string; keep: string[] };

async function create(loadDataDir?: Blob): Promise<void> {
  const database = await PGlite.create({ dataDir: dir, loadDataDir });
  await database.close();
}

let how = 'initdb';
if (template) {
  try {
    await create(new Blob([readFileSync(template)]));
    how = 'template';
  } catch (error) {
    // A damaged or incompatible template costs the seconds it saved, never the start: empty the directory
    // (all but the process's lock file) and run initdb.
    parentPort?.postMessage({
      warning: `the template ${template} could not be used (${(error as Error).message})`,
    });
    for (const entry of readdirSync(dir)) {
      if (!keep.includes(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }
}
if (how === 'initdb') await create();
parentPort?.postMessage({ created: how });
