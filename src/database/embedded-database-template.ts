import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A freshly created, empty PGlite cluster (what initdb makes), kept in the repository as a tarball so a
 * first `npm start` unpacks it (~1.7 s) instead of running initdb (~5 s of WebAssembly on an idle 2-core
 * machine). It is tied to the exact PGlite version that made it: with any other version, or when the file
 * is missing, the app runs initdb as before. `npm run db:template` makes it again after a PGlite upgrade.
 * Decision record: docs/decisions/017-fast-first-start.md.
 */
export interface EmbeddedDatabaseTemplate {
  /** Absolute path of the tarball (gzip). */
  file: string;
  /** PGlite version the tarball was made with. */
  pgliteVersion: string;
}

export const TEMPLATE_DIR = findTemplateDir(dirname(fileURLToPath(import.meta.url)));
const DESCRIPTION_FILE = 'template.json';

/** `assets/pglite-template` at the repository's root, found from src/database or dist/src/database. */
function findTemplateDir(from: string): string {
  const candidates = [join(from, '..', '..'), join(from, '..', '..', '..')];
  const root = candidates.find((dir) => existsSync(join(dir, 'package.json'))) ?? candidates[0];
  return join(root, 'assets', 'pglite-template');
}

/** The installed PGlite's version (read from its package.json, which its `exports` map does not expose). */
export function installedPgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  let dir = dirname(entry);
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The template usable with the installed PGlite, or undefined (then the database is created by initdb). */
export function usableTemplate(
  dir = TEMPLATE_DIR,
  pgliteVersion = installedPgliteVersion(),
): EmbeddedDatabaseTemplate | undefined {
  const description = join(dir, DESCRIPTION_FILE);
  if (!existsSync(description)) return undefined;
  try {
    const described = JSON.parse(readFileSync(description, 'utf8')) as {
      pgliteVersion?: unknown;
      file?: unknown;
    };
    if (typeof described.file !== 'string' || described.pgliteVersion !== pgliteVersion) return undefined;
    if (basename(described.file) !== described.file) return undefined;
    const file = join(dir, described.file);
    return existsSync(file) ? { file, pgliteVersion: described.pgliteVersion } : undefined;
  } catch {
    return undefined;
  }
}

/** Where `npm run db:template` writes: the tarball's file name carries the version, so a stale one is obvious. */
export function templateFileFor(pgliteVersion: string): { file: string; description: string; name: string } {
  const name = `pglite-${pgliteVersion}.tar.gz`;
  return { file: join(TEMPLATE_DIR, name), description: join(TEMPLATE_DIR, DESCRIPTION_FILE), name };
}
