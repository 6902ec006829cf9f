import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * PGlite is a single-process database: two processes opening the same directory corrupt it. This lock
 * makes a second process (say `npm run keys:rotate` while `npm start` runs) fail with a clear message.
 * A lock left by a killed process is detected (its pid is gone) and taken over.
 */
export const EMBEDDED_DATABASE_LOCK_FILE = 'signing-auth.lock';

/** Another live process holds the embedded database (the app, or another command). */
export class EmbeddedDatabaseLockedError extends Error {
  override readonly name = 'EmbeddedDatabaseLockedError';
}

export function lockEmbeddedDatabase(dataDir: string): void {
  const file = join(dataDir, EMBEDDED_DATABASE_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      process.once('exit', () => rmSync(file, { force: true }));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8'));
      if (holder === process.pid) return;
      if (isAlive(holder)) {
        throw new EmbeddedDatabaseLockedError(
          `The embedded database in ${dataDir} is in use by process ${holder} (the app, if \`npm start\` ` +
            'runs). Stop that process first, or point both at a PostgreSQL server with DATABASE_URL.',
          { cause: error },
        );
      }
      rmSync(file, { force: true });
    }
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
