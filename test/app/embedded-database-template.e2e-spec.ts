import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { installedPgliteVersion, usableTemplate } from '../../src/database/embedded-database-template.js';

/** The compiled worker (`npm test` builds first): it is what `npm start` runs on its first start. */
const WORKER = resolve('dist/src/database/embedded-database-initdb.worker.js');

function runWorker(dir: string, template?: string): Promise<Array<{ created?: string; warning?: string }>> {
  const messages: Array<{ created?: string; warning?: string }> = [];
  return new Promise((done, fail) => {
    const worker = new Worker(WORKER, { workerData: { dir, template, keep: ['signing-auth.lock'] } });
    worker.on('message', (m: { created?: string; warning?: string }) => messages.push(m));
    worker.once('error', fail);
    worker.once('exit', () => done(messages));
  });
}

async function selectOne(dir: string): Promise<number> {
  const db = await PGlite.create({ dataDir: dir });
  try {
    const { rows } = await db.query<{ n: number }>('SELECT 1 AS n');
    return rows[0].n;
  } finally {
    await db.close();
  }
}

describe('the embedded database template (first start without initdb)', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'pglite-template-spec-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('the repository carries a template for the installed PGlite, and a database unpacked from it works', async () => {
    const template = usableTemplate();
    // Fails after a PGlite upgrade until `npm run db:template` is run (the app would fall back to initdb).
    expect(template?.pgliteVersion).toBe(installedPgliteVersion());
    const dir = join(scratch, 'from-template');
    await mkdir(dir);
    await writeFile(join(dir, 'signing-auth.lock'), String(process.pid));
    expect(await runWorker(dir, template!.file)).toEqual([{ created: 'template' }]);
    expect(await selectOne(dir)).toBe(1);
  }, 60_000);

  it('ignores a template made by another PGlite version or naming a file outside its folder', async () => {
    const dir = join(scratch, 'described');
    await mkdir(dir);
    await writeFile(join(dir, 'pglite-0.0.1.tar.gz'), 'not used');
    await writeFile(
      join(dir, 'template.json'),
      JSON.stringify({ pgliteVersion: '0.0.1', file: 'pglite-0.0.1.tar.gz' }),
    );
    expect(usableTemplate(dir, '0.5.16')).toBeUndefined();
    expect(usableTemplate(dir, '0.0.1')?.file).toBe(join(dir, 'pglite-0.0.1.tar.gz'));
    await writeFile(
      join(dir, 'template.json'),
      JSON.stringify({ pgliteVersion: '0.0.1', file: '../x.tar.gz' }),
    );
    expect(usableTemplate(dir, '0.0.1')).toBeUndefined();
    await writeFile(join(dir, 'template.json'), '{ not json');
    expect(usableTemplate(dir, '0.0.1')).toBeUndefined();
  });

  it('falls back to initdb when the template is damaged, keeping the lock file', async () => {
    const dir = join(scratch, 'damaged');
    await mkdir(dir);
    await writeFile(join(dir, 'signing-auth.lock'), String(process.pid));
    const damaged = join(scratch, 'damaged.tar.gz');
    await writeFile(damaged, Buffer.from('this is not a gzip tarball of a PostgreSQL cluster'));
    const messages = await runWorker(dir, damaged);
    expect(messages.at(-1)).toEqual({ created: 'initdb' });
    expect(messages[0].warning).toMatch(/could not be used/);
    expect(await selectOne(dir)).toBe(1);
  }, 90_000);
});
