import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT } from '../../src/cli/cli-runner.js';
import { freePort } from '../support/app-process.js';
import { DATABASE_URL, createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

/** The compiled commands (`npm test` builds first; run `npm run build` before running this file alone). */
const COMMANDS = {
  sweep: resolve('dist/src/cli/sweep.js'),
  'keys:rotate': resolve('dist/src/cli/keys-rotate.js'),
  'migration:run': resolve('dist/src/cli/migration-run.js'),
  'keys:add': resolve('dist/src/cli/keys-add.js'),
};
type Command = keyof typeof COMMANDS;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>, cwd?: string): Promise<Run> {
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(file, args, { env: { PATH: process.env.PATH ?? '', ...env }, cwd });
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
const command = (name: Command, args: string[], env: Record<string, string>) =>
  run(process.execPath, [COMMANDS[name], ...args], env);
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/**
 * Every command fails in ONE line for a known condition (no Nest stack trace first),
 * with the exit code the documented table gives; the README's commands print what they say when pasted.
 */
describe('the example app commands', () => {
  let dataDir: string;
  let holder: ChildProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'signing-auth-cli-'));
    // What a running `npm start` leaves: its dev secrets, and the embedded database's lock with its pid.
    holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await mkdir(join(dataDir, 'pglite'), { recursive: true });
    await writeFile(join(dataDir, 'pglite', 'signing-auth.lock'), String(holder.pid));
    const key = newKey('dev');
    await writeFile(
      join(dataDir, 'dev-secrets.json'),
      JSON.stringify({ encryptionKeys: `${key.id}:${key.key}`, adminToken: 'dev-admin-token' }),
    );
  });
  afterAll(async () => {
    holder?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each(['sweep', 'keys:rotate', 'migration:run'] as const)(
    '%s against an embedded database another process holds: one line, exit 2',
    async (name) => {
      const result = await command(name, [], { SIGNING_AUTH_DATA_DIR: dataDir });
      expect(lines(result.stderr)).toEqual([expect.stringContaining(`in use by process ${holder.pid}`)]);
      expect(result.stderr.startsWith(`${name}: `)).toBe(true);
      expect(result.stderr).not.toMatch(/^\s+at /m); // no stack frame
      expect(result.stdout).toBe('');
      expect(result.code).toBe(EXIT.cannotRun);
    },
    120_000,
  );

  it.each(['sweep', 'keys:rotate', 'migration:run'] as const)(
    '%s with a database that cannot be reached: one line naming host and port, exit 2',
    async (name) => {
      const port = await freePort(); // nothing listens there
      const result = await command(name, [], {
        SIGNING_AUTH_DATA_DIR: dataDir,
        DATABASE_URL: `postgres://postgres:not-printed@127.0.0.1:${port}/none`,
      });
      expect(lines(result.stderr)).toEqual([
        expect.stringContaining(`cannot reach the database at 127.0.0.1:${port} (ECONNREFUSED)`),
      ]);
      expect(result.stderr).not.toContain('not-printed');
      expect(result.code).toBe(EXIT.cannotRun);
    },
    120_000,
  );

  it.each(['sweep', 'keys:rotate', 'keys:add'] as const)(
    '%s in production without keys: one line naming the variables, exit 2',
    async (name) => {
      const result = await command(name, [], { NODE_ENV: 'production', SIGNING_AUTH_DATA_DIR: dataDir });
      expect(lines(result.stderr)).toEqual([expect.stringContaining('SIGNING_AUTH_ENCRYPTION_KEYS')]);
      expect(result.code).toBe(EXIT.cannotRun);
    },
    120_000,
  );

  it('keys:add on the embedded database says to stop the app before keys:rotate (the lock)', async () => {
    const result = await command('keys:add', ['--activate'], { SIGNING_AUTH_DATA_DIR: dataDir });
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/stop the app if it runs, run `npm run keys:rotate`, then start the app/);
    const bad = await command('keys:add', ['--bogus'], { SIGNING_AUTH_DATA_DIR: dataDir });
    expect(lines(bad.stderr)).toEqual([expect.stringMatching(/^keys:add: .*--bogus/)]);
    expect(bad.code).toBe(EXIT.cannotRun);
  });

  it('the exit-code table in the reference is the one the commands use', async () => {
    const page = await readFile(resolve('docs/reference/example-app.md'), 'utf8');
    const table = page.slice(page.indexOf('| exit code |'));
    const documented = [...table.matchAll(/^\| `(\d)` \|/gm)].map((m) => Number(m[1]));
    expect(documented).toEqual(Object.values(EXIT));
  });

  it('every `--json` command in the READMEs and docs is pasted with `npm run -s` (npm prints a header otherwise)', async () => {
    const files = ['README.md', 'docs/run-as-job.md', 'docs/reference/example-app.md', 'docs/reliability.md'];
    for (const file of files) {
      const text = await readFile(resolve(file), 'utf8');
      for (const line of text.split('\n')) {
        if (/npm run (?!-s |--silent )[\w:]+ -- [^`\n]*--json/.test(line))
          throw new Error(`${file}: ${line}`);
      }
    }
  });

  const describeWithServer = DATABASE_URL ? describe : describe.skip;
  describeWithServer('pasted as the README writes it', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      await db?.close();
    });

    it('`npm run -s sweep -- --json` prints valid JSON on stdout, nothing else', async () => {
      const key = newKey('k1');
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      const result = await run(npm, ['run', '-s', 'sweep', '--', '--json'], {
        HOME: process.env.HOME ?? tmpdir(),
        DATABASE_URL: db.url!,
        SIGNING_AUTH_ENCRYPTION_KEYS: `${key.id}:${key.key}`,
        SIGNING_AUTH_DATA_DIR: dataDir,
      });
      expect(result.code).toBe(EXIT.ok);
      expect(JSON.parse(result.stdout)).toMatchObject({ trigger: 'job', examined: 0 });
    }, 120_000);
  });
});
