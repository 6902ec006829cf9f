import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  TEMPLATE_DIR,
  installedPgliteVersion,
  templateFileFor,
} from '../database/embedded-database-template.js';
import { EXIT, runCommand } from './cli-runner.js';

/**
 * `npm run db:template`: makes the repository's template of an empty embedded database (what initdb
 * creates) for the installed PGlite, so a first `npm start` unpacks it instead of running initdb. Run it
 * after upgrading @electric-sql/pglite (the app falls back to initdb until then; the example-app test says
 * when the template is stale). Old templates are removed. Exit codes: cli-runner.ts's EXIT.
 */
await runCommand('db:template', async () => {
  const version = installedPgliteVersion();
  const target = templateFileFor(version);
  const scratch = mkdtempSync(join(tmpdir(), 'pglite-template-'));
  try {
    const database = await PGlite.create({ dataDir: join(scratch, 'pglite') });
    const dump = await database.dumpDataDir('gzip');
    await database.close();
    for (const old of readdirSync(TEMPLATE_DIR)) {
      if (old.startsWith('pglite-') && old !== target.name) rmSync(join(TEMPLATE_DIR, old));
    }
    writeFileSync(target.file, Buffer.from(await dump.arrayBuffer()));
    writeFileSync(
      target.description,
      `${JSON.stringify({ pgliteVersion: version, file: target.name }, null, 2)}\n`,
    );
    console.log(
      `Wrote ${relative(process.cwd(), target.file)} (${(dump.size / 1e6).toFixed(1)} MB) for PGlite ${version}`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return EXIT.ok;
});
