import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from '../support/app-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The npm tarball is what users install. This test packs it and follows ONLY the package's own README, as a
 * reader copies it: its install line (the tarball's path put in place of `/path/to/`) is the only install
 * in a fresh app folder; every code block that starts with `// file: <path>` is written into the app; the
 * README's tsconfig compiles them (forRoot and forRootAsync modules, main.ts, a service calling a provider
 * API, the health snippet); its main.ts starts and answers HTTP; a signed call goes through its modules.
 * Other apps: the packed files and source maps, and one without the optional peers (linked from this
 * repository, no network) that shows swagger and terminus really are optional.
 */
const repo = resolve('.');
const pkg = JSON.parse(readFileSync(join(repo, 'libs/signing-auth/package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const OPTIONAL = Object.keys(pkg.peerDependenciesMeta).filter(
  (name) => pkg.peerDependenciesMeta[name].optional,
);

describe('the packed library', () => {
  let workDir: string;
  let tarball: string;
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'signing-auth-consumer-'));
    const out = execFileSync(
      'npm',
      ['pack', '--json', '--pack-destination', workDir, '-w', 'libs/signing-auth'],
      {
        encoding: 'utf8',
        env: { ...process.env, npm_config_loglevel: 'silent' },
      },
    );
    const [{ filename, files }] = JSON.parse(out) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarball = join(workDir, filename);
    packedFiles = files.map((f) => f.path);
    if (process.env.DATABASE_URL) db = await createTestDatabase();
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  let packedFiles: string[] = [];

  it('ships its own README, license, changelog, code and the sources its maps point to — nothing else', async () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'dist/index.js',
        'dist/index.d.ts',
        'src/index.ts',
      ]),
    );
    expect(packedFiles.filter((p) => /\.spec\.(ts|js)$|tsbuildinfo/.test(p))).toEqual([]);
    const app = await unpackInto('maps');
    const root = join(app, 'node_modules/signing-auth');
    const maps = packedFiles.filter((p) => p.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(50);
    const unresolved: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(root, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        if (!existsSync(resolve(root, dirname(map), source))) unresolved.push(`${map} → ${source}`);
      }
    }
    expect(unresolved).toEqual([]);

    // The README is written for a user of the package, not for this repository.
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(readme).not.toMatch(
      /npm start|docs\/decisions|test\/|example app|libs\/signing-auth|SIGNING_AUTH_DATA_DIR/,
    );
    expect(readme).toMatch(/ESM only/);
    expect(readme).toMatch(/Fastify/);
  }, 120_000);

  it("installs with the README's install line alone, compiles with its tsconfig, starts its main.ts and signs through its modules", async () => {
    const app = join(workDir, 'readme');
    await mkdir(app, { recursive: true });
    // The README a user reads: the one inside the tarball.
    execFileSync('tar', ['-xzf', tarball, '-C', app, '--strip-components=1', 'package/README.md']);
    const readme = await readFile(join(app, 'README.md'), 'utf8');
    await rm(join(app, 'README.md'));
    // As a reader starts: an empty ESM app folder ("type": "module", README "Requirements").
    await writeFile(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true }));

    // The install line, verbatim but for the tarball's path, and nothing else installed.
    const line = installLine(readme);
    expect(line).toContain(TARBALL_PLACEHOLDER);
    const args = line.replace(TARBALL_PLACEHOLDER, tarball).split(/\s+/);
    expect(args.slice(0, 2)).toEqual(['npm', 'install']);
    // The root README tells the same install line.
    expect(installLine(await readFile(join(repo, 'README.md'), 'utf8'))).toBe(line);
    await run('npm', args.slice(1), app, {
      ...process.env,
      // Output and cache settings only (taken from npm's cache when it has a package, else from the registry).
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      npm_config_loglevel: 'error',
    });
    const installed = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(installed.dependencies).sort()).toEqual(
      args
        .slice(2)
        .map((a) => (a === tarball ? 'signing-auth' : a.replace(/(.)@.*$/, '$1')))
        .sort(),
    );

    // Every `// file:` block of the README, written as a reader copies it, plus the test's harness.
    const written = await writeReadmeFiles(readme, app);
    const repoReadme = await readFile(join(repo, 'README.md'), 'utf8');
    for (const [path, body] of readmeFiles(repoReadme)) expect(readmeFiles(readme).get(path)).toBe(body);
    expect(written).toEqual(
      expect.arrayContaining([
        'tsconfig.json',
        'src/main.ts',
        'src/app.module.ts',
        'src/app-async.module.ts',
        'src/envelopes.service.ts',
        'src/health.controller.ts',
      ]),
    );
    // Node's types, named: today a library's own `/// <reference types="node" />` (dotenv-expand, under
    // @nestjs/config) happens to load them too, but an app must not depend on that.
    const tsconfig = JSON.parse(await readFile(join(app, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { types?: string[] };
    };
    expect(tsconfig.compilerOptions.types).toContain('node');
    expect(args).toContain('@types/node');
    // Importing from node: would load Node's types and hide a tsconfig without them (the README's tsconfig
    // must list them).
    expect(HARNESS).not.toMatch(/from '(node:|[a-z_]+$)|@types|typeorm-pglite|pglite/m);
    await writeFile(join(app, 'src/pack-check.ts'), HARNESS);
    await run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);

    if (!db) {
      console.warn(
        'The README app was compiled but not started: it needs a PostgreSQL server (DATABASE_URL).',
      );
      return;
    }
    const env = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: db.url!,
      SIGNING_AUTH_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    };
    // The README's main.ts: the app starts, its migrations ran, and Nest answers HTTP through Express.
    const port = await freePort();
    const main = spawn(process.execPath, ['dist/main.js'], {
      cwd: app,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let mainOutput = '';
    main.stdout.on('data', (c) => (mainOutput += c));
    main.stderr.on('data', (c) => (mainOutput += c));
    try {
      const answer = await waitForHttp(`http://127.0.0.1:${port}/`, main, () => mainOutput);
      expect(answer).toEqual({
        status: 404,
        body: { message: 'Cannot GET /', error: 'Not Found', statusCode: 404 },
      });
      expect(mainOutput).toMatch(/Nest application successfully started/);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ table: string | null }>(
        "SELECT to_regclass('signing_auth_connections')::text AS table",
      );
      await client.end();
      expect(rows).toEqual([{ table: 'signing_auth_connections' }]);
    } finally {
      main.kill('SIGTERM');
      await new Promise((done) => (main.exitCode === null ? main.once('exit', done) : done(null)));
    }

    // The harness boots forRoot and forRootAsync with the health module and the README's service, and
    // calls a provider through them: this test process plays the provider (token endpoint and API).
    const seen: string[] = [];
    const provider = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/oauth/token') {
        res.end('{"access_token":"pack-token","token_type":"Bearer","expires_in":3600}');
        return;
      }
      seen.push(req.headers.authorization ?? '');
      res.end('{"ok":true}');
    });
    await new Promise<void>((done) => provider.listen(0, '127.0.0.1', done));
    try {
      const origin = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
      const printed = await run(process.execPath, ['dist/pack-check.js'], app, {
        ...env,
        PROVIDER_ORIGIN: origin,
      });
      const result = JSON.parse(printed.trim().split('\n').pop()!) as Record<string, unknown>;
      const signed = { answer: { ok: true }, health: { status: 'up', database: 'up' } };
      expect(result).toMatchObject({ forRoot: signed, forRootAsync: signed });
      // Decision 023: the packed library serves the Connect page itself, with its strict headers.
      expect(result.connectPage).toMatchObject({
        status: 200,
        type: expect.stringMatching(/^text\/html/),
        csp: expect.stringMatching(/frame-ancestors 'none'/),
        cache: 'no-store',
        scriptStatus: 200,
      });
      expect(seen).toEqual(['Bearer pack-token', 'Bearer pack-token']);
    } finally {
      provider.close();
    }
  }, 360_000);

  it('works without its optional peers, and says what adminApi needs when swagger is missing', async () => {
    const required = Object.keys(pkg.peerDependencies).filter((name) => !OPTIONAL.includes(name));
    expect(OPTIONAL).toEqual(expect.arrayContaining(['@nestjs/swagger', '@nestjs/terminus']));
    const app = await unpackInto('minimal', [...required, '@electric-sql/pglite', 'typeorm-pglite']);
    await writeFile(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    await writeFile(join(app, 'main.js'), MINIMAL_APP);
    const printed = execFileSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8' }).trim();
    const result = JSON.parse(printed.split('\n').pop()!) as Record<string, string>;
    expect(result.authorization).toBe(`Basic ${Buffer.from('tok_9:sec_9').toString('base64')}`);
    expect(result.health).toBe('up');
    expect(result.adminApi).toMatch(/AdminApiUnavailableError: .*adminApi: true needs .*@nestjs\/swagger/);
  }, 120_000);

  /** A fresh app folder with the tarball unpacked and exactly `linked` packages beside it. */
  async function unpackInto(name: string, linked: string[] = []): Promise<string> {
    const app = join(workDir, name);
    const target = join(app, 'node_modules/signing-auth');
    await mkdir(target, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
    for (const dep of [...Object.keys(pkg.dependencies), ...linked]) {
      await mkdir(dirname(join(app, 'node_modules', dep)), { recursive: true });
      await symlink(join(repo, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
    }
    return app;
  }
});

/** The tarball's place in the README's install line; a reader (and this test) puts the real path there. */
const TARBALL_PLACEHOLDER = '/path/to/signing-auth-0.1.0.tgz';

/** The one line of a fenced bash block that installs the tarball. */
function installLine(readme: string): string {
  const lines = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)]
    .flatMap(([, body]) => body.split('\n'))
    .filter((line) => line.startsWith('npm install ') && line.includes('signing-auth-'));
  expect(lines).toHaveLength(1);
  return lines[0].trim();
}

/** Runs a command without blocking this process (it may be serving the command); its stdout. */
function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0
        ? done(stdout)
        : fail(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`)),
    );
  });
}

/** Polls `url` until the process answers (any status) or exits. */
async function waitForHttp(
  url: string,
  child: ChildProcess,
  output: () => string,
): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The README app exited ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(url);
      return { status: res.status, body: await res.json() };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`The README app did not answer within 60 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every fenced block whose first line is `// file: <path>`, by path. */
function readmeFiles(readme: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const [, body] of readme.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
    const header = /^\/\/ file: (\S+)\n/.exec(body);
    if (header) files.set(header[1], body.slice(header[0].length));
  }
  return files;
}

/** Writes the README's files into `dir`; returns their paths. */
async function writeReadmeFiles(readme: string, dir: string): Promise<string[]> {
  const files = readmeFiles(readme);
  for (const [path, body] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), body);
  }
  return [...files.keys()];
}

/**
 * Test-owned, compiled together with the README's files by the README's tsconfig: boots its modules and makes
 * a signed call. It imports nothing from `node:` (that would pull in Node's types and hide a tsconfig that
 * lacks them) and only packages of the README's install line. The provider is the test process.
 */
const HARNESS = `import 'reflect-metadata';
import { Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  ConnectionsService,
  SIGNING_AUTH_MIGRATIONS,
  SigningAuthHealthIndicator,
  SigningAuthModule,
} from 'signing-auth';
import { AppModule } from './app.module.js';
import { AppAsyncModule } from './app-async.module.js';
import { EnvelopesService } from './envelopes.service.js';
import { HealthModule } from './health.controller.js';

const origin = process.env.PROVIDER_ORIGIN!;

async function signedCall(root: Type<unknown>) {
  @Module({ imports: [root, HealthModule], providers: [EnvelopesService] })
  class Harness {}
  const app = await NestFactory.createApplicationContext(Harness, { logger: false });
  try {
    const tenant = 'acme-' + Math.random().toString(36).slice(2);
    // A generic OAuth 2.0 provider on loopback (allowed outside production); the API is a host its config names.
    await app.get(ConnectionsService).upsert(tenant, 'oauth2', {
      config: {
        grant: 'client_credentials',
        tokenUrl: \`\${origin}/oauth/token\`,
        clientId: 'pack-client',
        apiBaseUrls: [origin],
      },
      secrets: { clientSecret: 'pack-secret' },
    });
    const answer = await app.get(EnvelopesService).get(tenant, 'oauth2', \`\${origin}/api/v1/templates\`);
    const health = await app.get(SigningAuthHealthIndicator).isHealthy('signingAuth');
    return { answer, health: health.signingAuth };
  } finally {
    await app.close();
  }
}

// The Connect page is served from the package itself (connectPage: true), with its headers.
async function connectPage() {
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: process.env.DATABASE_URL,
        autoLoadEntities: true,
        migrations: [...SIGNING_AUTH_MIGRATIONS],
        migrationsRun: true,
      }),
      SigningAuthModule.forRoot({
        encryptionKeys: process.env.SIGNING_AUTH_ENCRYPTION_KEYS!,
        sweep: { enabled: false },
        admin: { tokens: ['pack-admin-token-of-at-least-32-characters'] },
        adminApi: true,
        connectPage: true,
      }),
    ],
  })
  class PageApp {}
  const app = await NestFactory.create(PageApp, { logger: false });
  await app.listen(0, '127.0.0.1');
  try {
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const page = await fetch(\`\${base}/signing-auth/connect/\`);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]);
    const script = scripts.length ? await fetch(new URL(scripts[0], \`\${base}/signing-auth/connect/\`)) : undefined;
    return {
      status: page.status,
      type: page.headers.get('content-type'),
      csp: page.headers.get('content-security-policy'),
      cache: page.headers.get('cache-control'),
      scripts: scripts.length,
      scriptStatus: script?.status,
    };
  } finally {
    await app.close();
  }
}

const result = {
  forRoot: await signedCall(AppModule),
  forRootAsync: await signedCall(AppAsyncModule),
  connectPage: await connectPage(),
};
console.log(JSON.stringify(result));
`;

/** Plain JavaScript, no swagger, no terminus, no event-emitter, no prom-client installed. */
const MINIMAL_APP = `import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { PGliteDriver } from 'typeorm-pglite';
import { ConnectionsService, SIGNING_AUTH_MIGRATIONS, SigningAuthHealthIndicator, SigningAuthModule, TokenService } from 'signing-auth';

const keys = 'k1:' + randomBytes(32).toString('base64');
class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', driver: new PGliteDriver().driver, installExtensions: false,
      autoLoadEntities: true, migrations: SIGNING_AUTH_MIGRATIONS, migrationsRun: true }),
    // Offline: no DocSpring to check the token with when it is saved (verifyOnSave).
    SigningAuthModule.forRoot({ encryptionKeys: keys, verifyOnSave: false }),
  ],
})(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
await app.get(ConnectionsService).upsert('acme', 'docspring', {
  config: { region: 'eu', tokenId: 'tok_9' }, secrets: { tokenSecret: 'sec_9' },
});
const authorization = await app.get(TokenService).getAuthorizationHeader('acme', 'docspring');
const health = (await app.get(SigningAuthHealthIndicator).isHealthy('db')).db.status;
await app.close();
let adminApi = 'no error';
try {
  SigningAuthModule.forRoot({ encryptionKeys: keys, adminApi: true, admin: { tokens: ['t'] } });
} catch (error) {
  adminApi = error.name + ': ' + error.message;
}
console.log(JSON.stringify({ authorization, health, adminApi }));
`;
