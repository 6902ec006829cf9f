import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { PGliteDriver, getPGliteInstance } from 'typeorm-pglite';
import { EMBEDDED_DATABASE_LOCK_FILE, lockEmbeddedDatabase } from './embedded-database-lock.js';
import { usableTemplate } from './embedded-database-template.js';

export interface EmbeddedDatabase {
  /** Absolute path of the PGlite data directory. */
  dir: string;
  /** The TypeORM driver class for `DataSourceOptions.driver`. */
  driver: unknown;
  /** Settles when the database is open (created first when it did not exist). */
  ready: Promise<void>;
}

const opened = new Map<string, EmbeddedDatabase>();

/**
 * Opens the embedded database (PGlite) under `<dataDir>/pglite` once per process, and starts opening it
 * right away: `main.ts` calls this before it loads the app's modules, so the WebAssembly start-up and, on
 * the first start, the creation of the database overlap with loading NestJS. The creation unpacks the
 * repository's template of an empty cluster (~1.7 s; embedded-database-template.ts) or, without one that
 * fits the installed PGlite, runs initdb (~5 s on an idle 2-core machine). It runs in a worker thread,
 * because both block the thread they run on; the main thread then only reopens the created directory
 * (under 1 s). A first start says what it is doing, since it is the one slow step a newcomer meets.
 */
export function openEmbeddedDatabase(
  dataDir: string,
  logger = new Logger('EmbeddedDatabase'),
): EmbeddedDatabase {
  const dir = resolve(join(dataDir, 'pglite'));
  const existing = opened.get(dir);
  if (existing) return existing;
  mkdirSync(dir, { recursive: true });
  lockEmbeddedDatabase(dir);
  const creating = !existsSync(join(dir, 'PG_VERSION'));
  const shown = displayPath(dir);
  const started = Date.now();
  const template = creating ? usableTemplate() : undefined;
  if (creating) {
    // The creation gives no progress to show: say up front what is happening and how long it takes, then
    // when it is done.
    logger.log(
      `Creating the embedded PostgreSQL database in ${shown} (first start only: ` +
        `${template ? 'about 2 s, from the repository template' : 'about 5 s'}, longer on a busy machine)...`,
    );
  }
  // PGlite is ~9 MB of WebAssembly. V8 compiles it with its baseline compiler and then re-optimises hot
  // functions in the background; for a process that opens the database once and runs small queries that
  // second tier costs more than it saves: measured here, --liftoff-only cut the CPU of creating the database
  // by ~25 % (13.5 → 10.3 s) and of reopening it by ~15 %. It only affects WebAssembly, i.e. PGlite.
  setFlagsFromString('--liftoff-only');
  const driver = new PGliteDriver({ dataDir: dir }).driver;
  const created = creating ? createInWorker(dir, template?.file, logger) : Promise.resolve();
  const ready = created
    .then(() => getPGliteInstance())
    .then(() => {
      if (creating)
        logger.log(`Embedded database created in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  // TypeORM awaits the same instance when it connects; this only keeps an early failure from being reported
  // as an unhandled rejection before then.
  ready.catch(() => undefined);
  const database = { dir, driver, ready };
  opened.set(dir, database);
  return database;
}

/**
 * Creates the database on a worker thread (from the template, else by initdb); settles when the worker has
 * created and closed it.
 */
function createInWorker(dir: string, template: string | undefined, logger: Logger): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(new URL('./embedded-database-initdb.worker.js', import.meta.url), {
      workerData: { dir, template, keep: [EMBEDDED_DATABASE_LOCK_FILE] },
    });
    let created = false;
    worker.on('message', (message: { created?: string; warning?: string }) => {
      if (message.warning) logger.warn(`Creating the database by initdb: ${message.warning}`);
      if (message.created) created = true;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (created) resolvePromise();
      else reject(new Error(`Creating the embedded database in ${dir} failed (worker exit code ${code})`));
    });
  });
}

function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') ? rel : dir;
}
