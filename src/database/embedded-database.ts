import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Logger } from '@nestjs/common';
import { PGliteDriver, getPGliteInstance } from 'typeorm-pglite';
import { lockEmbeddedDatabase } from './embedded-database-lock.js';

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
 * the first start, the creation of the database (initdb, 8–12 s on a busy 2-core machine) overlap with
 * loading NestJS. A first start says what it is doing, since it is the one slow step a newcomer meets.
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
  if (creating) {
    // PGlite's initdb runs on this thread and blocks it, so there is no ticking progress to show: say up
    // front what is happening and how long it takes, then when it is done.
    logger.log(
      `Creating the embedded PostgreSQL database in ${shown} (first start only: about 10 s, ` +
        'longer on a busy machine)...',
    );
  }
  // PGlite is ~9 MB of WebAssembly. V8 compiles it with its baseline compiler and then re-optimises hot
  // functions in the background; for a process that opens the database once and runs small queries that
  // second tier costs more than it saves: measured here, --liftoff-only cut the CPU of creating the database
  // by ~25 % (13.5 → 10.3 s) and of reopening it by ~15 %. It only affects WebAssembly, i.e. PGlite.
  setFlagsFromString('--liftoff-only');
  const driver = new PGliteDriver({ dataDir: dir }).driver;
  const ready = getPGliteInstance().then(() => {
    if (creating) logger.log(`Embedded database created in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
  // TypeORM awaits the same instance when it connects; this only keeps an early failure from being reported
  // as an unhandled rejection before then.
  ready.catch(() => undefined);
  const database = { dir, driver, ready };
  opened.set(dir, database);
  return database;
}

function displayPath(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') ? rel : dir;
}
