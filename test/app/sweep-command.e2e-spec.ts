import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import type { TestingModule } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import type { SigningAuthSweepReport } from 'signing-auth';
import { ConnectionCipher } from '../../libs/signing-auth/src/connections/connection-cipher.js';
import type { DocuSignEmulator } from '../emulators/index.js';
import {
  bootApp,
  docusignAt,
  seedConnections,
  startLifecycleEmulator,
} from '../lifecycle/lifecycle-fixtures.js';
import { freePort } from '../support/app-process.js';
import { DATABASE_URL, createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newKey } from '../support/test-keys.js';

/** The compiled command (`npm test` builds first; run `npm run build` before running this file alone). */
const SWEEP_ENTRY = resolve('dist/src/cli/sweep.js');
const CRONJOB = resolve('deploy/kubernetes/signing-auth-sweep.cronjob.yaml');
const CRONTAB = resolve('deploy/cron/signing-auth-sweep.crontab');
const DAY = 86_400_000;

/** The parts of a batch/v1 CronJob the test reads. */
interface CronJobManifest {
  apiVersion: string;
  kind: string;
  spec: {
    schedule: string;
    concurrencyPolicy: string;
    jobTemplate: {
      spec: {
        activeDeadlineSeconds: number;
        template: {
          spec: {
            restartPolicy: string;
            automountServiceAccountToken?: boolean;
            securityContext?: { seccompProfile?: { type: string } };
            containers: {
              command: string[];
              resources: { requests: Record<string, string>; limits: Record<string, string> };
              env: {
                name: string;
                value?: string;
                valueFrom?: { secretKeyRef: { name: string; key: string } };
              }[];
            }[];
          };
        };
      };
    };
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command to its end; a command still running after `killAfterMs` is killed (code null). */
function sweep(args: string[], env: Record<string, string>, killAfterMs = 50_000): Promise<Run> {
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(process.execPath, [SWEEP_ENTRY, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('npm run sweep (one refresh pass as a command)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'signing-auth-sweep-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('exits 2 naming the option when the command line is wrong', async () => {
    const run = await sweep(['--max-duration', 'soon'], { SIGNING_AUTH_DATA_DIR: dataDir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--max-duration');
    expect(run.stdout).toBe('');
    const unknown = await sweep(['--everything'], { SIGNING_AUTH_DATA_DIR: dataDir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--everything');
  });

  it('exits 2 when the embedded database is in use by the running app', async () => {
    const dir = join(dataDir, 'locked');
    await mkdir(join(dir, 'pglite'), { recursive: true });
    // The lock of a live process (this one) — what `npm start` leaves while it runs.
    await writeFile(join(dir, 'pglite', 'signing-auth.lock'), String(process.pid));
    const run = await sweep([], { SIGNING_AUTH_DATA_DIR: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`in use by process ${process.pid}`);
    expect(run.stdout).toBe('');
  });

  it('exits 2 when the database cannot be reached', async () => {
    const port = await freePort(); // nothing listens there
    const run = await sweep(['--json'], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/none`,
      SIGNING_AUTH_DATA_DIR: dataDir,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/the pass could not run/);
    expect(run.stdout).toBe('');
  }, 60_000);

  it('runs on the embedded database when there is no DATABASE_URL (app stopped), and exits 0', async () => {
    // Opening PGlite (a WebAssembly Postgres) and migrating a new database takes ~30 s on a loaded machine.
    const run = await sweep(['--json'], { SIGNING_AUTH_DATA_DIR: join(dataDir, 'embedded') }, 150_000);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as SigningAuthSweepReport;
    expect(report).toMatchObject({ trigger: 'job', examined: 0, refreshed: 0 });
    // The lock is released: the app (or the next run) can open the database.
    expect(existsSync(join(dataDir, 'embedded', 'pglite', 'signing-auth.lock'))).toBe(false);
  }, 180_000);

  describe('the deployment examples', () => {
    it('the CronJob manifest is valid YAML with Forbid, the command, resources and the env it needs', async () => {
      const manifest = load(await readFile(CRONJOB, 'utf8')) as CronJobManifest;
      expect(manifest).toMatchObject({ apiVersion: 'batch/v1', kind: 'CronJob' });
      expect(manifest.spec.concurrencyPolicy).toBe('Forbid');
      expect(manifest.spec.schedule.split(' ')).toHaveLength(5);
      const job = manifest.spec.jobTemplate.spec;
      const [container] = job.template.spec.containers;
      expect(job.template.spec.restartPolicy).toBe('Never');
      expect(container.command.slice(0, 2)).toEqual(['node', 'dist/src/cli/sweep.js']);
      expect(existsSync(resolve(container.command[1]))).toBe(true);
      // The budget ends before Kubernetes' deadline, so the report is printed.
      const budget = container.command[container.command.indexOf('--max-duration') + 1];
      expect(budget).toBe('4m');
      expect(job.activeDeadlineSeconds).toBeGreaterThan(4 * 60);
      expect(container.resources.requests).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
      expect(container.resources.limits.memory).toEqual(expect.any(String));
      const env = Object.fromEntries(container.env.map((e) => [e.name, e]));
      for (const name of ['DATABASE_URL', 'SIGNING_AUTH_ENCRYPTION_KEYS']) {
        expect(env[name].valueFrom?.secretKeyRef).toMatchObject({ key: name });
      }
      // Only what the pass uses, and a hardened pod.
      expect(env.SIGNING_AUTH_ADMIN_TOKENS).toBeUndefined();
      expect(job.template.spec.automountServiceAccountToken).toBe(false);
      expect(job.template.spec.securityContext?.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    });

    it('the crontab line runs the same command, one at a time', async () => {
      const lines = (await readFile(CRONTAB, 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
      expect(lines).toHaveLength(1);
      const fields = lines[0].split(/\s+/);
      expect(fields.slice(0, 5)).toEqual(['*/5', '*', '*', '*', '*']);
      expect(lines[0]).toContain('flock -n ');
      expect(lines[0]).toContain('node dist/src/cli/sweep.js --max-duration 4m');
      expect(lines[0]).not.toContain('%'); // cron would turn it into a newline
    });
  });

  const describeWithServer = DATABASE_URL ? describe : describe.skip;
  describeWithServer('on a PostgreSQL server with due DocuSign connections (emulator)', () => {
    let db: TestDatabase;
    let emu: DocuSignEmulator;
    let app: TestingModule;
    let dataSource: DataSource;
    const key = newKey('k1');
    let env: Record<string, string>;

    beforeAll(async () => {
      db = await createTestDatabase();
      emu = await startLifecycleEmulator();
      ({ app, dataSource } = await bootApp(db, key, docusignAt(emu)));
      env = {
        DATABASE_URL: db.url!,
        SIGNING_AUTH_ENCRYPTION_KEYS: `${key.id}:${key.key}`,
        SIGNING_AUTH_ADMIN_TOKENS: 'sweep-test-admin-token',
        SIGNING_AUTH_DOCUSIGN_OAUTH_URL: emu.url,
        SIGNING_AUTH_DATA_DIR: dataDir,
      };
    });

    afterAll(async () => {
      await app?.close();
      await emu?.close();
      await db?.close();
    });

    const seedDue = (prefix: string, count: number) =>
      seedConnections(app, emu, { prefix, count, now: new Date(Date.now() - 11 * DAY) });

    it('runs in production with keys and database only: no admin tokens asked for (issue 19 row 8)', async () => {
      const { SIGNING_AUTH_ADMIN_TOKENS: _unused, ...jobEnv } = env;
      const dir = join(dataDir, 'job-without-admin-tokens');
      const run = await sweep(['--dry-run'], {
        ...jobEnv,
        NODE_ENV: 'production',
        SIGNING_AUTH_DATA_DIR: dir,
      });
      expect(run.stderr).not.toContain('SIGNING_AUTH_ADMIN_TOKENS');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('nothing was changed');
      // No development secrets file was made for the missing token.
      expect(existsSync(join(dir, 'dev-secrets.json'))).toBe(false);
    });

    it('--dry-run lists what is due and changes nothing; exit 0', async () => {
      const due = await seedDue('cli-dry', 3);
      const before = emu.stats.requests;
      const run = await sweep(['--dry-run'], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('nothing was changed');
      for (const tenant of due) expect(run.stdout).toContain(tenant);
      expect(emu.stats.requests).toBe(before);
    });

    it('refreshes every due connection, prints progress and the JSON report; exit 0', async () => {
      await seedDue('cli-ok', 12);
      const run = await sweep(['--json', '--provider', 'docusign'], env);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as SigningAuthSweepReport;
      expect(report).toMatchObject({ trigger: 'job', refreshed: 15, failedNeedsReauth: 0, failures: [] });
      // Not a terminal: plain progress lines on stderr, stdout is only the report.
      expect(run.stderr).toMatch(/^sweep: \d+\/15 due · /m);
      expect(run.stderr).not.toContain('\r');
      expect(emu.stats.reuseDetections).toBe(0);
    });

    it('exits 1 when a connection needs re-authorization, and names it in the table', async () => {
      const [revoked] = await seedDue('cli-reauth', 1);
      await dataSource.query(
        `UPDATE signing_auth_connections SET refresh_token_ciphertext = $2 WHERE tenant_id = $1`,
        [
          revoked,
          app.get(ConnectionCipher).encrypt(revoked, 'docusign', 'refreshTokenCiphertext', 'not-issued'),
        ],
      );
      const run = await sweep(['--tenant', revoked], env);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/\| failed: needs re-authorization +\| 1 +\|/);
      expect(run.stdout).toContain(revoked);
      expect(run.stdout).not.toContain('not-issued');
    });
  });
});
